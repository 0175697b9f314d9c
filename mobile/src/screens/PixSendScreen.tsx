/** Pix com chave: key type (all five), key, amount and description, then the review screen. */
import { useRouter } from "expo-router";
import { useState } from "react";

import { maskCpf } from "../lib/cpf";
import { maskAmount, parseBRL } from "../lib/money";
import { checkKey, KEY_TYPES, normaliseKey, type KeyType } from "../pix/transfer";
import { Button, Choice, Field, Screen, Title } from "../ui/kit";

export function PixSendScreen() {
  const router = useRouter();
  const [type, setType] = useState<KeyType>("CPF");
  const [key, setKey] = useState("");
  const [amount, setAmount] = useState("");
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<{ key?: string; amount?: string }>({});

  function next() {
    const keyError = checkKey(type, key) ?? undefined;
    const cents = parseBRL(amount);
    const amountError = cents === null || cents <= 0 ? "Informe um valor maior que zero." : undefined;
    setErrors({ key: keyError, amount: amountError });
    if (keyError || amountError) return;
    router.push({
      pathname: "/pix/revisar",
      params: { key: normaliseKey(type, key), key_type: type, amount_cents: String(cents), description: description.trim() },
    });
  }

  return (
    <Screen testID="screen-pix-send">
      <Title>Para quem?</Title>
      <Choice label="Tipo de chave" options={KEY_TYPES} value={type} onChange={(t) => { setType(t); setKey(""); }} testID="key-type" />
      <Field
        label="Chave Pix"
        testID="pix-key"
        value={key}
        onChangeText={(t) => setKey(type === "CPF" ? maskCpf(t) : t)}
        autoCapitalize="none"
        keyboardType={type === "CPF" || type === "CNPJ" ? "number-pad" : type === "PHONE" ? "phone-pad" : type === "EMAIL" ? "email-address" : "default"}
        error={errors.key}
      />
      <Field
        label="Valor (R$)"
        testID="pix-amount"
        value={amount}
        onChangeText={(t) => setAmount(maskAmount(t))}
        keyboardType="number-pad"
        inputMode="numeric"
        placeholder="0,00"
        error={errors.amount}
      />
      <Field label="Descrição (opcional)" testID="pix-description" value={description} onChangeText={setDescription} maxLength={140} />
      <Button label="Continuar" onPress={next} testID="pix-continue" />
    </Screen>
  );
}
