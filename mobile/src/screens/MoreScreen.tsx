/**
 * Mais: the other screens, logout, and the account's security notices (GET /auth/security-events:
 * e.g. logins locked after repeated wrong passwords), so the holder learns of attempts on the account.
 */
import { useFocusEffect, useRouter } from "expo-router";
import { useCallback, useState } from "react";

import { unwrap } from "../api/client";
import type { components } from "../api/schema";
import { useSession } from "../auth/session";
import { formatDateTime } from "../lib/money";
import { Body, Button, Card, Screen, Subtitle, Title } from "../ui/kit";

type SecurityEvent = components["schemas"]["SecurityEventOut"];

/** A security event as a Portuguese sentence for the account holder. */
export function securityMessage(e: SecurityEvent): string {
  if (e.kind === "login_locked") {
    const n = typeof e.details.failures === "number" ? e.details.failures : null;
    return (
      `${formatDateTime(e.at)}: ${n ? `${n} tentativas` : "Tentativas"} de entrar na sua conta com a senha errada. ` +
      "Bloqueamos novas tentativas por um tempo. Se não foi você, troque sua senha e não a use em outros serviços."
    );
  }
  return `${formatDateTime(e.at)}: atividade de segurança na sua conta.`;
}

export function MoreScreen() {
  const router = useRouter();
  const { api, logout } = useSession();
  const [events, setEvents] = useState<SecurityEvent[]>([]);

  useFocusEffect(
    useCallback(() => {
      unwrap(api.client.GET("/auth/security-events")).then(
        (list) => setEvents(list.slice(0, 3)),
        () => {}, // the notices are a courtesy: the menu works without them
      );
    }, [api]),
  );

  return (
    <Screen testID="screen-more">
      <Title>Mais</Title>
      {events.length ? (
        <Card testID="security-events">
          <Subtitle>Segurança da conta</Subtitle>
          {events.map((e) => (
            <Body key={e.id} testID={`security-event-${e.id}`}>
              {securityMessage(e)}
            </Body>
          ))}
        </Card>
      ) : null}
      <Button label="Confirmar identidade" kind="secondary" onPress={() => router.push("/identidade")} testID="more-identity" />
      <Button label="Biometria e aparelho" kind="secondary" onPress={() => router.push("/aparelho")} testID="more-device" />
      <Button label="Privacidade e dados (LGPD)" kind="secondary" onPress={() => router.push("/privacidade")} testID="more-privacy" />
      <Button label="Documentos" kind="secondary" onPress={() => router.push("/documentos")} testID="more-documents" />
      <Button label="Atendimento" kind="secondary" onPress={() => router.push("/conversa")} testID="more-chat" />
      <Button label="Sair" kind="danger" onPress={logout} testID="logout" />
    </Screen>
  );
}
