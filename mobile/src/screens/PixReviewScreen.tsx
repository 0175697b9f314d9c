/** Revisar Pix: recipient and amount, confirm, biometric step-up when required, and the outcome. */
import { useLocalSearchParams, useRouter } from "expo-router";
import { useRef, useState } from "react";

import { ApiError, messageFor } from "../api/problem";
import { BiometricCancelled, NoDeviceEnrolled } from "../auth/device";
import { useSession } from "../auth/session";
import { PaymentAttempt } from "../lib/idempotency";
import { formatBRL, formatTime, maskAmount, parseBRL } from "../lib/money";
import { sendPix, type KeyType, type Outcome, type TransferBody } from "../pix/transfer";
import { Body, Button, Card, ErrorBox, Field, Notice, Row, Screen, Title } from "../ui/kit";

const KEY_LABEL: Record<string, string> = { CPF: "CPF", CNPJ: "CNPJ", EMAIL: "E-mail", PHONE: "Celular", EVP: "Chave aleatória" };

export function PixReviewScreen() {
  const p = useLocalSearchParams<{
    key: string;
    key_type?: string;
    amount_cents?: string;
    description?: string;
    merchant_name?: string;
    merchant_city?: string;
    source?: string;
  }>();
  const { api, device } = useSession();
  const router = useRouter();
  const attempt = useRef(new PaymentAttempt<TransferBody>()).current;
  const fixedAmount = p.amount_cents ? Number(p.amount_cents) : null;
  const [amount, setAmount] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [retryable, setRetryable] = useState(false);
  const [needsDevice, setNeedsDevice] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const cents = fixedAmount ?? parseBRL(amount);

  async function confirm() {
    if (!cents || cents <= 0) {
      setError("Informe um valor maior que zero.");
      return;
    }
    const body: TransferBody = {
      amount_cents: cents,
      key: p.key,
      ...(p.key_type ? { key_type: p.key_type as KeyType } : {}),
      ...(p.description ? { description: p.description } : {}),
    };
    setBusy(true);
    setError(null);
    setRetryable(false);
    setNeedsDevice(false);
    try {
      const dev = await device.enrolled();
      const out = await sendPix(api, attempt, body, {
        deviceId: dev ? dev.thumbprint : null,
        stepUp: () => device.stepUp(`Confirme o Pix de ${formatBRL(cents)}`),
      });
      setOutcome(out);
    } catch (e) {
      if (e instanceof NoDeviceEnrolled) {
        setNeedsDevice(true);
        setError("Pix acima do seu limite precisa de confirmação biométrica. Cadastre este aparelho primeiro.");
      } else if (e instanceof BiometricCancelled) {
        setError("Confirmação biométrica cancelada. O Pix não foi enviado.");
        setRetryable(true);
      } else {
        setError(messageFor(e));
        setRetryable(e instanceof ApiError && (e.status === 0 || e.status >= 500 || e.status === 429));
      }
    } finally {
      setBusy(false);
    }
  }

  if (outcome) return <PixOutcome outcome={outcome} amountCents={cents ?? 0} onDone={() => router.dismissTo("/(tabs)")} />;

  return (
    <Screen testID="screen-pix-review">
      <Title>Confira o Pix</Title>
      <Card testID="review-card">
        {p.merchant_name ? <Row label="Recebedor" value={p.merchant_name} testID="review-name" /> : null}
        {p.merchant_city ? <Row label="Cidade" value={p.merchant_city} /> : null}
        <Row label={p.key_type ? `Chave (${KEY_LABEL[p.key_type] ?? p.key_type})` : "Chave"} value={p.key} testID="review-key" />
        {fixedAmount !== null ? <Row label="Valor" value={formatBRL(fixedAmount)} testID="review-amount" /> : null}
        {p.description ? <Row label="Descrição" value={p.description} /> : null}
      </Card>
      {fixedAmount === null ? (
        <Field label="Valor (R$)" testID="review-amount-input" value={amount} onChangeText={(t) => setAmount(maskAmount(t))} keyboardType="number-pad" inputMode="numeric" placeholder="0,00" />
      ) : null}
      <ErrorBox message={error} />
      {needsDevice ? <Button label="Cadastrar aparelho" kind="secondary" onPress={() => router.push("/aparelho")} testID="review-enrol" /> : null}
      <Button label={retryable ? "Tentar de novo" : "Confirmar Pix"} onPress={confirm} busy={busy} testID="review-confirm" hint="Envia o Pix agora" />
      <Button label="Cancelar" kind="secondary" onPress={() => router.back()} testID="review-cancel" />
    </Screen>
  );
}

export function PixOutcome({ outcome, amountCents, onDone }: { outcome: Outcome; amountCents: number; onDone: () => void }) {
  return (
    <Screen testID={`pix-outcome-${outcome.kind}`}>
      {outcome.kind === "done" ? (
        <>
          <Title>Pix enviado</Title>
          <Notice message={`Você enviou ${formatBRL(amountCents)}${outcome.transfer.recipient?.key ? ` para ${outcome.transfer.recipient.key}` : ""}.`} testID="outcome-message" />
          {outcome.balanceCents !== null ? <Row label="Saldo agora" value={formatBRL(outcome.balanceCents)} testID="outcome-balance" /> : null}
          {outcome.replayed ? <Body muted>Este Pix já tinha sido enviado; nada foi cobrado duas vezes.</Body> : null}
        </>
      ) : outcome.kind === "held" ? (
        <>
          <Title>Transferência em análise</Title>
          <Notice
            tone="warn"
            message={
              outcome.message ??
              `Por segurança, seu Pix de ${formatBRL(amountCents)} foi retido para análise. O valor fica reservado e não sai da sua conta até a análise terminar.`
            }
            testID="outcome-message"
          />
          <Card testID="outcome-held">
            <Row label="Valor reservado" value={formatBRL(outcome.heldCents ?? amountCents)} testID="outcome-held-amount" />
            {outcome.availableCents !== null ? <Row label="Disponível agora" value={formatBRL(outcome.availableCents)} testID="outcome-available" /> : null}
            {outcome.expiresAt ? <Row label="Análise até" value={formatTime(outcome.expiresAt)} testID="outcome-deadline" /> : null}
          </Card>
          <Body testID="outcome-next">
            O que acontece agora: se a análise aprovar, o Pix é concluído e o valor sai da sua conta. Se recusar, ou se não terminar no
            prazo, o Pix não é feito e a reserva é desfeita. Você verá o resultado nos avisos da tela Início.
          </Body>
          {outcome.replayed ? <Body muted>Este pedido já tinha sido recebido; nada foi reservado duas vezes.</Body> : null}
        </>
      ) : (
        <>
          <Title>Pix não enviado</Title>
          <ErrorBox
            message={`Por segurança, este Pix de ${formatBRL(amountCents)} foi recusado pela nossa análise antifraude. Nenhum valor saiu da sua conta. Se você reconhece a transação, fale com o atendimento.`}
            testID="outcome-message"
          />
        </>
      )}
      {outcome.transfer?.id ? <Row label="Identificador" value={String(outcome.transfer.id)} testID="outcome-id" /> : null}
      <Button label="Voltar ao início" onPress={onDone} testID="outcome-done" />
    </Screen>
  );
}
