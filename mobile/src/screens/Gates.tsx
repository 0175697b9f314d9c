/**
 * What a screen shows instead of its data when the gateway says why it cannot answer yet:
 * 403 consent_required (the LGPD consent screen for that purpose) or 403 identity_not_verified
 * (the "confirme sua identidade" flow).
 */
import { useRouter } from "expo-router";
import { useState } from "react";

import { unwrap } from "../api/client";
import { ApiError, messageFor, purposeLabel } from "../api/problem";
import { useSession } from "../auth/session";
import { Body, Button, Card, ErrorBox, Subtitle } from "../ui/kit";

type Purpose = "credit_analysis" | "fraud_prevention" | "marketing" | "open_finance_sharing";

const WHY: Record<string, string> = {
  credit_analysis:
    "Usamos seus dados de conta, cartões e empréstimos (e o histórico de crédito do bureau) para calcular seu score e explicar os motivos.",
  marketing: "Usamos seu perfil de investidor e seu comportamento na conta para escolher ofertas que combinam com você.",
};

export function ConsentGate({ purpose, onGranted }: { purpose: Purpose; onGranted: () => void }) {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function grant() {
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.client.POST("/lgpd/consents/{purpose}", { params: { path: { purpose } } }));
      onGranted();
    } catch (e) {
      setError(messageFor(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card testID={`consent-gate-${purpose}`}>
      <Subtitle>Precisamos da sua autorização</Subtitle>
      <Body>
        Para continuar, autorize o uso dos seus dados para {purposeLabel(purpose)}. {WHY[purpose] ?? ""} Você pode revogar quando
        quiser em Mais › Privacidade e dados (LGPD).
      </Body>
      <ErrorBox message={error} />
      <Button label="Autorizar" onPress={grant} busy={busy} testID={`consent-grant-${purpose}`} />
    </Card>
  );
}

export function IdentityGate() {
  const router = useRouter();
  return (
    <Card testID="identity-gate">
      <Subtitle>Confirme sua identidade</Subtitle>
      <Body>Para proteger seus dados, confirme que este CPF é seu antes de ver seu score e suas ofertas. Leva um minuto.</Body>
      <Button label="Confirmar minha identidade" onPress={() => router.push("/identidade")} testID="identity-start" />
    </Card>
  );
}

/** The gate for an error, or null when the error is not one a gate answers. */
export function gateFor(error: unknown, onGranted: () => void) {
  if (error instanceof ApiError && error.status === 403) {
    if (error.code === "consent_required" && typeof error.problem.purpose === "string") {
      return <ConsentGate purpose={error.problem.purpose as Purpose} onGranted={onGranted} />;
    }
    if (error.code === "identity_not_verified") return <IdentityGate />;
  }
  return null;
}
