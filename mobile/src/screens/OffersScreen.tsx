/** Ofertas: offers that fit the customer's suitability profile (GET /recommendations/me), marketing-consent gated. */
import { useState } from "react";

import { unwrap } from "../api/client";
import { messageFor } from "../api/problem";
import { useSession } from "../auth/session";
import { formatBRL } from "../lib/money";
import { Body, Button, Card, ErrorBox, Loading, Row, Screen, Subtitle, Title } from "../ui/kit";
import { useReloadOnFocus } from "../ui/useReloadOnFocus";
import { useRequest } from "../ui/useRequest";
import { gateFor } from "./Gates";
import { loadAnswers, Questionnaire } from "./Questionnaire";

const PROFILE: Record<string, string> = {
  conservador: "Conservador: prioriza segurança, produtos de risco até 2 de 5.",
  moderado: "Moderado: aceita alguma oscilação, produtos de risco até 3 de 5.",
  arrojado: "Arrojado: busca crescimento, produtos de risco até 5 de 5.",
};

export function OffersScreen() {
  const { api, secrets } = useSession();
  const [asking, setAsking] = useState(false);
  const [version, setVersion] = useState(0);
  const recs = useRequest(async () => {
    const a = await loadAnswers(secrets);
    return unwrap(api.client.GET("/recommendations/me", { params: { query: a ? { answers: a.answers, answered_on: a.answered_on } : {} } }));
  }, [api, secrets, version]);
  useReloadOnFocus(recs);
  return (
    <Screen testID="screen-offers">
      <Title>Ofertas para você</Title>
      {recs.loading ? (
        <Loading label="Buscando ofertas…" />
      ) : recs.error ? (
        (gateFor(recs.error, recs.reload) ?? (
          <>
            <ErrorBox message={messageFor(recs.error)} testID="offers-error" />
            <Button label="Tentar de novo" kind="secondary" onPress={recs.reload} />
          </>
        ))
      ) : recs.data ? (
        <>
          <Card testID="offers-profile">
            <Subtitle>Seu perfil</Subtitle>
            <Body>{recs.data.investor_profile ? PROFILE[recs.data.investor_profile] ?? recs.data.investor_profile : "Perfil de investidor ainda não definido: mostramos só produtos de baixo risco."}</Body>
            <Body muted>Score de crédito considerado: {recs.data.credit_score}</Body>
            {!asking ? (
              <Button
                label={recs.data.investor_profile ? "Refazer o questionário" : "Responder o questionário de perfil"}
                kind="secondary"
                onPress={() => setAsking(true)}
                testID="offers-questionnaire"
              />
            ) : null}
          </Card>
          {asking ? (
            <Questionnaire
              store={secrets}
              onSaved={() => {
                setAsking(false);
                setVersion((v) => v + 1);
              }}
              onCancel={() => setAsking(false)}
            />
          ) : null}
          {recs.data.offers.length === 0 ? <Body muted>Nenhuma oferta adequada ao seu perfil agora.</Body> : null}
          {recs.data.offers.map((o) => (
            <Card key={o.product} testID={`offer-${o.product}`}>
              <Subtitle>{o.name}</Subtitle>
              {o.kind === "credit" ? (
                <>
                  <Row label="Valor" value={formatBRL(o.amount_cents)} />
                  {o.term_months > 0 ? <Row label="Parcelas" value={`${o.term_months}x de ${formatBRL(o.instalment_cents)}`} /> : <Row label="Tipo" value="Limite rotativo" />}
                  <Row label="Taxa ao mês" value={`${(Number(o.monthly_rate) * 100).toFixed(2).replace(".", ",")}%`} />
                </>
              ) : (
                o.amount_cents > 0 ? <Row label="Aplicação sugerida" value={formatBRL(o.amount_cents)} /> : <Row label="Tipo" value="Investimento" />
              )}
              <Body muted>
                Por que combina: risco {o.risk} de 5, dentro do limite do seu perfil
                {o.accept_probability >= 0.01 ? `; afinidade estimada com você: ${Math.round(o.accept_probability * 100)}%` : ""}.
              </Body>
            </Card>
          ))}
        </>
      ) : null}
    </Screen>
  );
}
