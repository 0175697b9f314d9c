/** Pix copia e cola: the BR Code text is parsed by the gateway (POST /pix/brcode/parse), then reviewed. */
import { useRouter } from "expo-router";
import { useState } from "react";

import { unwrap } from "../api/client";
import { messageFor } from "../api/problem";
import { useSession } from "../auth/session";
import { Body, Button, ErrorBox, Field, Screen, Title } from "../ui/kit";

export function usePixCode() {
  const { api } = useSession();
  const router = useRouter();
  return async (brcode: string) => {
    const parsed = await unwrap(api.client.POST("/pix/brcode/parse", { body: { brcode: brcode.trim() } }));
    if (!parsed.key) throw new Error("sem chave");
    router.push({
      pathname: "/pix/revisar",
      params: {
        key: parsed.key,
        amount_cents: parsed.amount_cents ? String(parsed.amount_cents) : "",
        merchant_name: parsed.merchant_name ?? "",
        merchant_city: parsed.merchant_city ?? "",
        txid: parsed.txid ?? "",
        source: "brcode",
      },
    });
  };
}

export function PixPasteScreen() {
  const open = usePixCode();
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit() {
    if (!code.trim()) {
      setError("Cole o código Pix.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await open(code);
    } catch (e) {
      setError(messageFor(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen testID="screen-pix-paste">
      <Title>Pix copia e cola</Title>
      <Body muted>Cole o código que você recebeu. Vamos mostrar quem recebe e o valor antes de pagar.</Body>
      <Field label="Código Pix" testID="brcode-input" value={code} onChangeText={setCode} multiline numberOfLines={4} autoCapitalize="none" autoCorrect={false} />
      <ErrorBox message={error} />
      <Button label="Continuar" onPress={submit} busy={busy} testID="brcode-continue" />
    </Screen>
  );
}
