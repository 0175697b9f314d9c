/**
 * Início: the available balance (booked minus what PIX transfers held for fraud review reserve), the
 * unread notices (a held PIX released, refused or expired), and the statement (/accounts/me/entries)
 * with pull to refresh and infinite scroll; a credit in the statement opens "Devolver Pix".
 */
import { useFocusEffect, useRouter } from "expo-router";
import { useCallback, useRef, useState } from "react";
import { FlatList, Pressable, RefreshControl, StyleSheet, Text, View } from "react-native";

import { unwrap } from "../api/client";
import { messageFor } from "../api/problem";
import type { components } from "../api/schema";
import { useSession } from "../auth/session";
import { formatBRL, formatDateTime } from "../lib/money";
import { Body, Button, Card, ErrorBox, Loading, Title } from "../ui/kit";
import { colors, space } from "../ui/theme";

type Entry = components["schemas"]["EntryOut"];
type Account = components["schemas"]["AccountOut"];
type Notification = components["schemas"]["NotificationOut"];
export const PAGE = 20;

export function HomeScreen() {
  const { api } = useSession();
  const [account, setAccount] = useState<Account | null>(null);
  const [notices, setNotices] = useState<Notification[]>([]);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(true);
  const [refreshing, setRefreshing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fetching = useRef(false);
  const router = useRouter();
  const [unverified, setUnverified] = useState(false);

  const loadFirst = useCallback(async () => {
    setError(null);
    try {
      const [acc, page, unread] = await Promise.all([
        unwrap(api.client.GET("/accounts/me")),
        unwrap(api.client.GET("/accounts/me/entries", { params: { query: { limit: PAGE, offset: 0 } } })),
        unwrap(api.client.GET("/notifications", { params: { query: { unread: true, limit: 5 } } })).catch(() => [] as Notification[]),
      ]);
      setAccount(acc);
      setNotices(unread);
      setEntries(page);
      setDone(page.length < PAGE);
    } catch (e) {
      setError(messageFor(e));
    }
  }, [api]);

  // on every focus: back from a PIX, a refund or another tab, the balance and notices are current
  useFocusEffect(
    useCallback(() => {
      loadFirst().finally(() => setLoading(false));
    }, [loadFirst]),
  );

  // the identity banner follows the proofing state (it changes on the identity screen)
  useFocusEffect(
    useCallback(() => {
      api.client.GET("/kyc/status").then(
        (r) => setUnverified(r.data?.status === "unverified"),
        () => {},
      );
    }, [api]),
  );

  async function refresh() {
    setRefreshing(true);
    await loadFirst();
    setRefreshing(false);
  }

  async function dismiss(id: number) {
    setNotices((prev) => prev.filter((n) => n.id !== id));
    api.client.POST("/notifications/{notification_id}/read", { params: { path: { notification_id: id } } }).catch(() => {});
  }

  async function more() {
    if (done || fetching.current || loading || error) return;
    fetching.current = true;
    try {
      const page = await unwrap(
        api.client.GET("/accounts/me/entries", { params: { query: { limit: PAGE, offset: entries.length } } }),
      );
      setEntries((prev) => [...prev, ...page]);
      setDone(page.length < PAGE);
    } catch (e) {
      setError(messageFor(e));
    } finally {
      fetching.current = false;
    }
  }

  if (loading) return <Loading label="Carregando sua conta…" />;

  return (
    <FlatList
      testID="screen-home"
      style={styles.list}
      contentContainerStyle={styles.content}
      data={entries}
      keyExtractor={(e) => `${e.transfer_id}-${e.side}`}
      refreshControl={<RefreshControl refreshing={refreshing} onRefresh={refresh} accessibilityLabel="Atualizar" />}
      onEndReached={more}
      onEndReachedThreshold={0.4}
      ListHeaderComponent={
        <View style={{ gap: space(1.5) }}>
          <Card testID="balance-card">
            <Text style={styles.muted}>Saldo disponível</Text>
            <Text
              style={styles.balance}
              testID="balance"
              accessibilityLabel={`Saldo disponível ${account === null ? "indisponível" : formatBRL(account.available_cents)}`}
            >
              {account === null ? "—" : formatBRL(account.available_cents)}
            </Text>
            {account && account.held_cents > 0 ? (
              <View testID="balance-held">
                <Text style={styles.muted} testID="balance-held-amount">
                  {`Reservado em análise: ${formatBRL(account.held_cents)}`}
                </Text>
                <Text style={styles.muted}>{`Saldo em conta: ${formatBRL(account.balance_cents)}`}</Text>
              </View>
            ) : null}
          </Card>
          {notices.map((n) => (
            <Card key={n.id} testID={`notice-${n.kind}`}>
              <Text style={styles.entryTitle}>{n.title}</Text>
              <Body>{n.message}</Body>
              <Button label="Entendi" kind="secondary" onPress={() => dismiss(n.id)} testID={`notice-read-${n.id}`} />
            </Card>
          ))}
          {unverified ? (
            <Card testID="home-identity">
              <Body>Confirme sua identidade para ver seu score, suas ofertas e todos os seus dados.</Body>
              <Button label="Confirmar identidade" onPress={() => router.push("/identidade")} testID="home-identity-start" />
            </Card>
          ) : null}
          <ErrorBox message={error} />
          <Button label="Atualizar" kind="secondary" onPress={refresh} busy={refreshing} testID="home-refresh" />
          <Title>Extrato</Title>
        </View>
      }
      ListEmptyComponent={error ? null : <Text style={styles.muted} testID="statement-empty">Nenhuma movimentação ainda.</Text>}
      ListFooterComponent={!done && entries.length > 0 ? <Loading label="Carregando mais…" /> : null}
      renderItem={({ item }) => {
        const credit = item.amount_cents > 0;
        const label = `${credit ? "Entrada" : "Saída"}, ${formatBRL(Math.abs(item.amount_cents))}, ${formatDateTime(item.created_at)}`;
        return (
          <Pressable
            style={styles.entry}
            accessible
            accessibilityLabel={label}
            accessibilityRole={credit ? "button" : undefined}
            accessibilityHint={credit ? "Abre a devolução deste Pix" : undefined}
            disabled={!credit}
            onPress={() => router.push({ pathname: "/pix/devolver", params: { transfer_id: String(item.transfer_id) } })}
            testID={`entry-${item.transfer_id}`}
          >
            <View>
              <Text style={styles.entryTitle}>{credit ? "Entrada" : "Saída"}</Text>
              <Text style={styles.muted}>{formatDateTime(item.created_at)}</Text>
            </View>
            <Text style={[styles.amount, { color: credit ? colors.ok : colors.text }]}>
              {credit ? "+ " : "- "}
              {formatBRL(Math.abs(item.amount_cents))}
            </Text>
          </Pressable>
        );
      }}
    />
  );
}

const styles = StyleSheet.create({
  list: { flex: 1, backgroundColor: colors.bg },
  content: { padding: space(2), gap: space(1), maxWidth: 640, width: "100%", alignSelf: "center" },
  muted: { color: colors.muted },
  balance: { fontSize: 32, fontWeight: "700", color: colors.text },
  entry: { flexDirection: "row", justifyContent: "space-between", alignItems: "center", backgroundColor: colors.card, padding: space(1.5), borderRadius: 10 },
  entryTitle: { fontWeight: "600", color: colors.text },
  amount: { fontWeight: "700" },
});
