/** Receber: a BR Code for one of my keys (POST /pix/brcode), shown as a QR and as copia-e-cola text. */
import { useState } from "react";
import { Text } from "react-native";

import { unwrap } from "../api/client";
import { messageFor } from "../api/problem";
import { useSession } from "../auth/session";
import { maskAmount, parseBRL } from "../lib/money";
import { Body, Button, Card, Choice, ErrorBox, Field, Loading, Screen, Title } from "../ui/kit";
import { QrCode } from "../ui/QrCode";
import { useRequest } from "../ui/useRequest";

export function PixReceiveScreen() {
  const { api } = useSession();
  const keys = useRequest(() => unwrap(api.client.GET("/pix/keys")), [api]);
  const [keyId, setKeyId] = useState<string>("");
  const [amount, setAmount] = useState("");
  const [code, setCode] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const chosen = keyId || (keys.data?.[0] ? String(keys.data[0].id) : "");

  async function generate() {
    setBusy(true);
    setError(null);
    try {
      const cents = amount ? parseBRL(amount) : null;
      const out = await unwrap(
        api.client.POST("/pix/brcode", { body: { key_id: Number(chosen), ...(cents ? { amount_cents: cents } : {}) } }),
      );
      setCode(out.brcode);
    } catch (e) {
      setError(messageFor(e));
    } finally {
      setBusy(false);
    }
  }

  if (keys.loading) return <Loading />;
  return (
    <Screen testID="screen-pix-receive">
      <Title>Receber</Title>
      <ErrorBox message={keys.error ? messageFor(keys.error) : error} />
      {keys.data && keys.data.length === 0 ? (
        <Body muted>Cadastre uma chave Pix para receber.</Body>
      ) : keys.data ? (
        <>
          <Choice label="Chave para receber" options={keys.data.map((k) => ({ value: String(k.id), label: k.key }))} value={chosen} onChange={setKeyId} testID="receive-key" />
          <Field label="Valor (opcional, R$)" value={amount} onChangeText={(t) => setAmount(maskAmount(t))} keyboardType="number-pad" inputMode="numeric" testID="receive-amount" />
          <Button label="Gerar QR Code" onPress={generate} busy={busy} testID="receive-generate" />
        </>
      ) : null}
      {code ? (
        <Card testID="receive-qr">
          <QrCode value={code} />
          <Body muted>Pix copia e cola:</Body>
          <Text selectable testID="receive-brcode" accessibilityLabel="Código Pix copia e cola">
            {code}
          </Text>
        </Card>
      ) : null}
    </Screen>
  );
}
