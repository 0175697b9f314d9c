/**
 * Atendimento: the support assistant (POST /chat/messages {conversation_id?, text} ->
 * {conversation_id, answer, topic, confidence, sources, actions}). Until the gateway has the route
 * (a 404 on it) the screen says the assistant is unavailable and offers the other channels.
 */
import { useState } from "react";
import { StyleSheet, Text, View } from "react-native";

import { ApiError, messageFor } from "../api/problem";
import { useSession } from "../auth/session";
import { Body, Button, Card, ErrorBox, Field, Notice, Screen, Title } from "../ui/kit";
import { colors, space } from "../ui/theme";

export type ChatReply = {
  conversation_id: string;
  answer: string;
  topic?: string | null;
  confidence?: number;
  sources?: { id: string; title: string; topic?: string }[];
  actions?: unknown[];
};

type Line = { who: "me" | "bot"; text: string; sources?: ChatReply["sources"] };

export function ChatScreen() {
  const { api } = useSession();
  const [lines, setLines] = useState<Line[]>([
    { who: "bot", text: "Olá! Sou o assistente do cofre. Como posso ajudar?" },
  ]);
  const [text, setText] = useState("");
  const [conversation, setConversation] = useState<string | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function send() {
    const t = text.trim();
    if (!t) return;
    setBusy(true);
    setError(null);
    setLines((l) => [...l, { who: "me", text: t }]);
    setText("");
    try {
      const r = await api.raw<ChatReply>("POST", "/chat/messages", { text: t, ...(conversation ? { conversation_id: conversation } : {}) });
      setConversation(r.conversation_id);
      setLines((l) => [...l, { who: "bot", text: r.answer, sources: r.sources }]);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405) && e.code !== "conversation_not_found") setUnavailable(true);
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
        <View key={i} style={[styles.bubble, l.who === "me" ? styles.me : styles.bot]} accessible accessibilityLabel={`${l.who === "me" ? "Você" : "Assistente"}: ${l.text}`} testID={`chat-line-${i}`}>
          <Text style={l.who === "me" ? styles.meText : styles.botText}>{l.text}</Text>
          {l.sources?.length ? <Text style={styles.sources}>Fontes: {l.sources.map((s) => s.title).join("; ")}</Text> : null}
        </View>
      ))}
      <ErrorBox message={error} />
      {!unavailable ? (
        <Card>
          <Field label="Sua mensagem" value={text} onChangeText={setText} onSubmitEditing={send} testID="chat-input" />
          <Button label="Enviar" onPress={send} busy={busy} testID="chat-send" />
        </Card>
      ) : (
        <Body muted>Suas mensagens não foram enviadas.</Body>
      )}
    </Screen>
  );
}

const styles = StyleSheet.create({
  bubble: { padding: space(1.5), borderRadius: 12, maxWidth: "85%" },
  me: { alignSelf: "flex-end", backgroundColor: colors.brand },
  bot: { alignSelf: "flex-start", backgroundColor: colors.card, borderWidth: 1, borderColor: colors.border },
  meText: { color: "#fff" },
  botText: { color: colors.text },
  sources: { color: colors.muted, fontSize: 12, marginTop: 4 },
});
