/**
 * Privacidade e dados (LGPD): consents with toggles and history, the data export (request and
 * download), rectification, the erasure request (biometric step-up) and the explanations of
 * automated decisions (art. 20).
 */
import { useEffect, useRef, useState } from "react";
import { Switch, View } from "react-native";

import { unwrap } from "../api/client";
import { ApiError, messageFor, purposeLabel, toApiError } from "../api/problem";
import { useSession } from "../auth/session";
import { saveDownload } from "../lib/download";
import { formatDateTime } from "../lib/money";
import { stepUpMessage } from "../pix/stepUpErrors";
import { Body, Button, Card, ErrorBox, Field, Loading, Notice, Row, Screen, Subtitle, Title } from "../ui/kit";
import { colors } from "../ui/theme";
import { useRequest } from "../ui/useRequest";

type Purpose = "credit_analysis" | "fraud_prevention" | "marketing" | "open_finance_sharing";
type HistoryItem = { id: number; purpose: string; action: string; at: string; terms_version?: number };
type Decision = { service: string; at: string; outcome: string; model_version?: string; reasons?: string[]; resource?: string };

const KIND: Record<string, string> = { access: "Cópia dos meus dados", erasure: "Exclusão dos meus dados", explanation: "Explicação de decisões" };
const STATUS: Record<string, string> = { received: "Recebido", in_progress: "Em preparação", done: "Concluído", rejected: "Recusado" };
const POLL_MS = 2000;
const POLL_MAX = 45;
const SERVICE: Record<string, string> = { fraud: "Análise antifraude de Pix", credit: "Score de crédito", suitability: "Score de crédito", recommendations: "Ofertas" };

export function PrivacyScreen() {
  const { api, device } = useSession();
  const consents = useRequest(() => unwrap(api.client.GET("/lgpd/consents")), [api]);
  const history = useRequest(async () => (await unwrap(api.client.GET("/lgpd/consents/history"))) as HistoryItem[], [api]);
  const requests = useRequest(() => unwrap(api.client.GET("/lgpd/requests")), [api]);
  const decisions = useRequest(async () => (await unwrap(api.client.GET("/lgpd/explanations"))) as { decisions: Decision[] }, [api]);
  const [busy, setBusy] = useState<string | null>(null);
  // an access export is built in the background: poll the requests while one is being prepared
  const polls = useRef(0);
  const preparing = requests.data?.some((r) => r.kind === "access" && (r.status === "received" || r.status === "in_progress"));
  useEffect(() => {
    if (!preparing || polls.current >= POLL_MAX) return;
    const t = setTimeout(() => {
      polls.current += 1;
      void requests.reload();
    }, POLL_MS);
    return () => clearTimeout(t);
  }, [preparing, requests]);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [phone, setPhone] = useState("");

  async function act(tag: string, fn: () => Promise<string>) {
    setBusy(tag);
    setError(null);
    setDone(null);
    try {
      setDone(await fn());
    } catch (e) {
      setError(stepUpMessage(e));
    } finally {
      setBusy(null);
    }
  }

  const toggle = (purpose: Purpose, on: boolean) =>
    act(`consent-${purpose}`, async () => {
      const path = { params: { path: { purpose } } };
      await unwrap(on ? api.client.POST("/lgpd/consents/{purpose}", path) : api.client.DELETE("/lgpd/consents/{purpose}", path));
      await Promise.all([consents.reload(), history.reload()]);
      return on ? `Consentimento concedido: ${purposeLabel(purpose)}.` : `Consentimento revogado: ${purposeLabel(purpose)}.`;
    });

  const requestExport = () =>
    act("export", async () => {
      const r = await unwrap(api.client.POST("/lgpd/requests", { body: { kind: "access" } }));
      polls.current = 0;
      await requests.reload();
      return r.status === "done" ? "Sua cópia dos dados está pronta para baixar." : "Pedido registrado. Estamos preparando sua cópia; o botão de baixar aparece aqui quando ficar pronta.";
    });

  const download = (id: number) =>
    act(`download-${id}`, async () => {
      const res = await api.client.GET("/lgpd/requests/{request_id}/export", { params: { path: { request_id: id } }, parseAs: "stream" });
      if (res.response.status === 202) throw new ApiError(202, "export_not_ready", {});
      if (!res.response.ok) throw toApiError(res.response.status, await res.response.json().catch(() => null));
      const where = await saveDownload(res.response, `cofre-meus-dados-${id}.zip`);
      return `Arquivo salvo: ${where}`;
    });

  const rectify = () =>
    act("rectify", async () => {
      const body = { ...(name.trim() ? { name: name.trim() } : {}), ...(email.trim() ? { email: email.trim() } : {}), ...(phone.trim() ? { phone: phone.trim() } : {}) };
      if (!Object.keys(body).length) throw new ApiError(422, "validation_error", {});
      await unwrap(api.client.PATCH("/lgpd/me", { body }));
      setName("");
      setEmail("");
      setPhone("");
      return "Dados corrigidos.";
    });

  const erase = () =>
    act("erase", async () => {
      const token = await device.stepUp("Confirme o pedido de exclusão dos seus dados");
      await unwrap(api.client.POST("/lgpd/requests", { body: { kind: "erasure" }, headers: { Authorization: `Bearer ${token}` } }));
      await requests.reload();
      return "Pedido de exclusão registrado. Avisaremos quando for concluído (prazo legal de 15 dias).";
    });

  return (
    <Screen testID="screen-privacy">
      <Title>Seus dados</Title>
      <ErrorBox message={error} />
      {done ? <Notice message={done} testID="privacy-done" /> : null}

      <Subtitle>Consentimentos</Subtitle>
      {consents.loading ? (
        <Loading />
      ) : consents.error ? (
        <ErrorBox message={messageFor(consents.error)} testID="consents-error" />
      ) : (
        consents.data?.map((c) => (
          <Card key={c.purpose} testID={`consent-${c.purpose}`}>
            <View style={{ flexDirection: "row", justifyContent: "space-between", alignItems: "center" }}>
              <Body>{purposeLabel(c.purpose)}</Body>
              <Switch
                value={c.granted}
                onValueChange={(on) => toggle(c.purpose as Purpose, on)}
                disabled={busy === `consent-${c.purpose}`}
                accessibilityRole="switch"
                accessibilityLabel={`Consentimento para ${purposeLabel(c.purpose)}`}
                accessibilityState={{ checked: c.granted }}
                testID={`consent-toggle-${c.purpose}`}
                trackColor={{ true: colors.brand }}
              />
            </View>
            <Body muted>{c.granted && c.at ? `Concedido em ${formatDateTime(c.at)}` : c.at ? `Revogado em ${formatDateTime(c.at)}` : "Não concedido"}</Body>
          </Card>
        ))
      )}
      {history.data && history.data.length ? (
        <Card testID="consent-history">
          <Body muted>Histórico</Body>
          {history.data
            .slice(-8)
            .reverse()
            .map((h) => (
              <Row key={h.id} label={formatDateTime(h.at)} value={`${h.action === "grant" ? "Concedido" : "Revogado"}: ${purposeLabel(h.purpose)}`} />
            ))}
        </Card>
      ) : null}

      <Subtitle>Cópia dos meus dados</Subtitle>
      <Button label="Solicitar cópia dos meus dados" onPress={requestExport} busy={busy === "export"} testID="lgpd-export" />
      {requests.data?.map((r) => (
        <Card key={r.id} testID={`lgpd-request-${r.id}`}>
          <Row label={KIND[r.kind] ?? r.kind} value={STATUS[r.status] ?? r.status} testID={`lgpd-request-status-${r.id}`} />
          <Body muted>Pedido em {formatDateTime(r.received_at)}; prazo {formatDateTime(r.deadline_at)}</Body>
          {r.kind === "access" && r.status === "done" ? (
            <Button label="Baixar meus dados" kind="secondary" onPress={() => download(r.id)} busy={busy === `download-${r.id}`} testID={`lgpd-download-${r.id}`} />
          ) : null}
        </Card>
      ))}

      <Subtitle>Corrigir meus dados</Subtitle>
      <Field label="Nome" value={name} onChangeText={setName} testID="rectify-name" />
      <Field label="E-mail" value={email} onChangeText={setEmail} autoCapitalize="none" keyboardType="email-address" testID="rectify-email" />
      <Field label="Celular" value={phone} onChangeText={setPhone} keyboardType="phone-pad" testID="rectify-phone" />
      <Button label="Salvar correção" kind="secondary" onPress={rectify} busy={busy === "rectify"} testID="rectify-submit" />

      <Subtitle>Decisões automatizadas</Subtitle>
      {decisions.loading ? (
        <Loading />
      ) : decisions.error ? (
        <ErrorBox message={messageFor(decisions.error)} testID="decisions-error" />
      ) : decisions.data?.decisions.length ? (
        decisions.data.decisions.slice(-10).reverse().map((d, i) => (
          <Card key={i} testID={`decision-${i}`}>
            <Row label={SERVICE[d.service] ?? d.service} value={formatDateTime(d.at)} />
            <Body>Resultado: {d.outcome}</Body>
            {d.reasons?.length ? <Body muted>Motivos: {d.reasons.join("; ")}</Body> : null}
          </Card>
        ))
      ) : (
        <Body muted>Nenhuma decisão automatizada sobre você até agora.</Body>
      )}
      <Body muted>Você pode pedir a revisão de uma decisão automatizada por uma pessoa pelo Atendimento (LGPD art. 20).</Body>

      <Subtitle>Excluir meus dados</Subtitle>
      <Body muted>Encerra sua conta e apaga seus dados pessoais, exceto o que a lei nos obriga a guardar. Exige confirmação biométrica.</Body>
      <Button label="Pedir exclusão dos meus dados" kind="danger" onPress={erase} busy={busy === "erase"} testID="lgpd-erase" />
    </Screen>
  );
}
