/** Devolver Pix: give back all or part of a PIX received (from the statement), with the outcome. */
import { useLocalSearchParams, useRouter } from "expo-router";
import { useCallback, useEffect, useRef, useState } from "react";

import { messageFor } from "../api/problem";
import { BiometricCancelled, NoDeviceEnrolled } from "../auth/device";
import { useSession } from "../auth/session";
import { PaymentAttempt } from "../lib/idempotency";
import { formatBRL, maskAmount, parseBRL } from "../lib/money";
import { refundInfo, sendRefund, type RefundBody, type RefundDone, type RefundInfo } from "../pix/refund";
import { Body, Button, Card, ErrorBox, Field, Loading, Notice, Row, Screen, Title } from "../ui/kit";

export function PixRefundScreen() {
  const { transfer_id } = useLocalSearchParams<{ transfer_id: string }>();
  const transferId = Number(transfer_id);
  const { api, device } = useSession();
  const router = useRouter();
  const attempt = useRef(new PaymentAttempt<RefundBody & { transfer_id: number }>()).current;
  const [info, setInfo] = useState<RefundInfo | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [amount, setAmount] = useState("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<RefundDone | null>(null);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      const i = await refundInfo(api, transferId);
      setInfo(i);
      setAmount(i.refundable_cents > 0 ? maskAmount(String(i.refundable_cents)) : "");
    } catch (e) {
      setLoadError(messageFor(e));
    } finally {
      setLoading(false);
    }
  }, [api, transferId]);

  useEffect(() => {
    load();
  }, [load]);

  async function confirm() {
    const cents = parseBRL(amount);
    if (!info) return;
    if (!cents || cents <= 0) {
      setError("Informe um valor maior que zero.");
      return;
    }
    if (cents > info.refundable_cents) {
      setError(`Você pode devolver no máximo ${formatBRL(info.refundable_cents)} deste Pix.`);
      return;
    }
    // the whole remainder is sent without an amount (the gateway refunds what is left)
    const body: RefundBody = {
      ...(cents === info.refundable_cents ? {} : { amount_cents: cents }),
      ...(note.trim() ? { description: note.trim() } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      setDone(await sendRefund(api, attempt, transferId, body, { stepUp: () => device.stepUp(`Confirme a devolução de ${formatBRL(cents)}`) }));
    } catch (e) {
      if (e instanceof NoDeviceEnrolled) setError("Devoluções acima do seu limite precisam de confirmação biométrica. Cadastre este aparelho em Mais.");
      else if (e instanceof BiometricCancelled) setError("Confirmação biométrica cancelada. Nada foi devolvido.");
      else setError(messageFor(e));
    } finally {
      setBusy(false);
    }
  }

  if (loading) return <Loading label="Carregando o Pix…" />;

  if (done) {
    return (
      <Screen testID="refund-done">
        <Title>Devolução enviada</Title>
        <Notice message={`Você devolveu ${formatBRL(done.amountCents)} a quem fez o Pix.`} testID="refund-message" />
        {done.balanceCents !== null ? <Row label="Saldo agora" value={formatBRL(done.balanceCents)} testID="refund-balance" /> : null}
        {done.refundableCents ? <Row label="Ainda pode devolver" value={formatBRL(done.refundableCents)} /> : null}
        <Button label="Voltar ao início" onPress={() => router.dismissTo("/(tabs)")} testID="refund-back" />
      </Screen>
    );
  }

  return (
    <Screen testID="screen-pix-refund">
      <Title>Devolver Pix</Title>
      {loadError || !info ? (
        <>
          <ErrorBox message={loadError} testID="refund-load-error" />
          <Button label="Voltar" kind="secondary" onPress={() => router.back()} testID="refund-cancel" />
        </>
      ) : (
        <>
          <Card testID="refund-card">
            <Row label="Pix recebido" value={formatBRL(info.amount_cents)} testID="refund-original" />
            {info.refunded_cents > 0 ? <Row label="Já devolvido" value={formatBRL(info.refunded_cents)} testID="refund-refunded" /> : null}
            <Row label="Pode devolver" value={formatBRL(info.refundable_cents)} testID="refund-refundable" />
          </Card>
          {info.refundable_cents <= 0 ? (
            <Body testID="refund-nothing-left">Este Pix já foi devolvido por inteiro.</Body>
          ) : (
            <>
              <Body muted>Recebeu um Pix por engano ou precisa desfazer uma venda? Devolva o valor, todo ou em parte, em até 90 dias.</Body>
              <Field label="Valor a devolver (R$)" testID="refund-amount" value={amount} onChangeText={(t) => setAmount(maskAmount(t))} keyboardType="number-pad" inputMode="numeric" />
              <Field label="Mensagem para quem pagou (opcional)" testID="refund-note" value={note} onChangeText={setNote} maxLength={140} />
              <ErrorBox message={error} />
              <Button label="Devolver" onPress={confirm} busy={busy} testID="refund-confirm" hint="Devolve o valor a quem fez o Pix" />
            </>
          )}
          <Button label="Cancelar" kind="secondary" onPress={() => router.back()} testID="refund-cancel" />
        </>
      )}
    </Screen>
  );
}
