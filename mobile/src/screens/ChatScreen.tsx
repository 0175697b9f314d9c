/**
 * Atendimento: the support assistant (POST /chat/messages {conversation_id?, text} -> {answer,
 * topic, confidence, sources, actions}). Answers cite their help articles; actions open app screens
 * (the assistant never acts itself). A gateway without the route (404 not_found) shows the
 * assistant as unavailable.
 */
import { useRouter, type Href } from "expo-router";
import { useState } from "react";
import { StyleSheet, Text, View } from "react-native";

import { unwrap } from "../api/client";
import { ApiError, messageFor } from "../api/problem";
import type { components } from "../api/schema";
import { useSession } from "../auth/session";
import { Button, Card, ErrorBox, Field, Notice, Screen, Title } from "../ui/kit";
import { colors, space } from "../ui/theme";

type Reply = components["schemas"]["ChatReply"];
type Action = components["schemas"]["ChatAction"];
type Line = { who: "me" | "bot"; text: string; sources?: Reply["sources"]; actions?: Action[] };

/** The assistant's screen ids (knowledge-base articles) to the app's routes. */
const SCREENS: Record<string, Href> = {
  extrato: "/",
  score: "/credito",
  "credito/ofertas": "/ofertas",
  "investimentos/perfil": "/ofertas",
  "pix/enviar": "/pix/enviar",
  "pix/chaves": "/pix/chaves",
  "pix/qr-code": "/pix/qr",
  documentos: "/documentos",
  privacidade: "/privacidade",
  "privacidade/consentimentos": "/privacidade",
  "privacidade/explicacoes": "/privacidade",
  "privacidade/meus-dados": "/privacidade",
  "privacidade/excluir": "/privacidade",
  seguranca: "/aparelho",
  "seguranca/dispositivos": "/aparelho",
  identidade: "/identidade",
};

export function routeFor(screen: string): Href | null {
  return SCREENS[screen] ?? (screen.startsWith("privacidade") ? "/privacidade" : null);
}

export function ChatScreen() {
  const { api } = useSession();
  const router = useRouter();
  const [lines, setLines] = useState<Line[]>([{ who: "bot", text: "Olá! Sou o assistente do cofre. Como posso ajudar?" }]);
  const [text, setText] = useState("");
  const [conversation, setConversation] = useState<string | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function send() {
    const t = text.trim();
    if (!t || busy) return;
    setBusy(true);
    setError(null);
    setLines((l) => [...l, { who: "me", text: t }]);
    setText("");
    const ask = async (conv: string | null): Promise<Reply> =>
      (await unwrap(
        api.client.POST("/chat/messages", {
          body: { text: t, ...(conv ? { conversation_id: conv } : {}) },
          headers: { Accept: "application/json" },
        }),
      )) as Reply;
    try {
      let r: Reply;
      try {
        r = await ask(conversation);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === "conversation_not_found")) throw e;
        r = await ask(null); // the conversation was erased or expired: start a new one
      }
      setConversation(r.conversation_id);
      setLines((l) => [...l, { who: "bot", text: r.answer, sources: r.sources, actions: r.actions }]);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405) && e.code === "not_found") setUnavailable(true);
      else setError(messageFor(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen testID="screen-chat">
      <Title>Atendimento</Title>
      {unavailable ? (
        <Notice
          tone="warn"
          message="O assistente virtual está indisponível no momento. Tente mais tarde ou fale com a gente pelo telefone 0800 000 0000 (24 horas)."
          testID="chat-unavailable"
        />
      ) : null}
      {lines.map((l, i) => (
        <View key={i} style={[styles.bubble, l.who === "me" ? styles.me : styles.bot]} testID={`chat-line-${i}`}>
          <Text style={l.who === "me" ? styles.meText : styles.botText} accessibilityLabel={`${l.who === "me" ? "Você" : "Assistente"}: ${l.text}`}>
            {l.text}
          </Text>
          {l.sources?.length ? <Text style={styles.sources}>Fontes: {l.sources.map((s) => s.title).join("; ")}</Text> : null}
          {l.actions?.map((a, j) => {
            const href = routeFor(a.screen);
            if (a.type === "ticket") return <Text key={j} style={styles.sources}>Chamado aberto{a.ticket_id ? ` nº ${a.ticket_id}` : ""}: uma pessoa vai responder.</Text>;
            return href ? <Button key={j} label={a.label} kind="secondary" onPress={() => router.push(href)} testID={`chat-action-${i}-${j}`} /> : null;
          })}
        </View>
      ))}
      <ErrorBox message={error} />
      {!unavailable ? (
        <Card>
          <Field label="Sua mensagem" value={text} onChangeText={setText} onSubmitEditing={send} testID="chat-input" maxLength={2000} />
          <Button label="Enviar" onPress={send} busy={busy} testID="chat-send" />
        </Card>
      ) : null}
    </Screen>
  );
}

const styles = StyleSheet.create({
  bubble: { padding: space(1.5), borderRadius: 12, maxWidth: "85%", gap: 6 },
  me: { alignSelf: "flex-end", backgroundColor: colors.brand },
  bot: { alignSelf: "flex-start", backgroundColor: colors.card, borderWidth: 1, borderColor: colors.border },
  meText: { color: "#fff" },
  botText: { color: colors.text },
  sources: { color: colors.muted, fontSize: 12 },
});
