/** Crédito: my score 0-1000, its band and the reasons in Portuguese (GET /suitability/me). */
import { StyleSheet, Text, View } from "react-native";

import { unwrap } from "../api/client";
import { messageFor } from "../api/problem";
import { useSession } from "../auth/session";
import { Body, Button, Card, ErrorBox, Loading, Screen, Subtitle, Title } from "../ui/kit";
import { colors } from "../ui/theme";
import { useReloadOnFocus } from "../ui/useReloadOnFocus";
import { useRequest } from "../ui/useRequest";
import { gateFor } from "./Gates";

const BAND: Record<string, string> = { baixo: "Baixo", regular: "Regular", bom: "Bom", "muito bom": "Muito bom" };

export function CreditScreen() {
  const { api } = useSession();
  const score = useRequest(() => unwrap(api.client.GET("/suitability/me")), [api]);
  useReloadOnFocus(score);

  return (
    <Screen testID="screen-credit">
      <Title>Seu score de crédito</Title>
      {score.loading ? (
        <Loading label="Calculando seu score…" />
      ) : score.error ? (
        (gateFor(score.error, score.reload) ?? (
          <>
            <ErrorBox message={messageFor(score.error)} testID="credit-error" />
            <Button label="Tentar de novo" kind="secondary" onPress={score.reload} testID="credit-retry" />
          </>
        ))
      ) : score.data ? (
        <>
          <Card testID="credit-score">
            <View style={styles.scoreRow} accessible accessibilityLabel={`Score ${score.data.score} de 1000, faixa ${BAND[score.data.band] ?? score.data.band}`}>
              <Text style={styles.score} testID="credit-score-value">
                {score.data.score}
              </Text>
              <Text style={styles.of}>de 1000</Text>
            </View>
            <Body testID="credit-band">Faixa: {BAND[score.data.band] ?? score.data.band}</Body>
            <Body muted>Chance estimada de atraso em 6 meses: {(score.data.pd * 100).toFixed(1).replace(".", ",")}%</Body>
          </Card>
          <Subtitle>O que mais pesou</Subtitle>
          {score.data.reasons.length === 0 ? <Body muted>Nenhum fator negativo relevante. Continue assim!</Body> : null}
          {score.data.reasons.map((r, i) => (
            <Card key={`${r.feature}-${i}`} testID={`credit-reason-${i}`}>
              <Body>{r.motivo}</Body>
              <Body muted>{r.pontos > 0 ? `Sem este fator, seu score teria ${r.pontos} pontos a mais.` : "Fator com pouco peso no seu score."}</Body>
            </Card>
          ))}
          <Body muted>Modelo {score.data.model_version}. Você pode pedir a explicação completa em Mais › Privacidade e dados.</Body>
        </>
      ) : null}
    </Screen>
  );
}

const styles = StyleSheet.create({
  scoreRow: { flexDirection: "row", alignItems: "baseline", gap: 8 },
  score: { fontSize: 48, fontWeight: "800", color: colors.brand },
  of: { color: colors.muted, fontSize: 16 },
});
