/** Início: balance and statement (/accounts/me, /accounts/me/entries), pull to refresh, infinite scroll. */
import { useFocusEffect, useRouter } from "expo-router";
import { useCallback, useEffect, useRef, useState } from "react";
import { FlatList, RefreshControl, StyleSheet, Text, View } from "react-native";

import { unwrap } from "../api/client";
import { messageFor } from "../api/problem";
import type { components } from "../api/schema";
import { useSession } from "../auth/session";
import { formatBRL, formatDateTime } from "../lib/money";
import { Body, Button, Card, ErrorBox, Loading, Title } from "../ui/kit";
import { colors, space } from "../ui/theme";

type Entry = components["schemas"]["EntryOut"];
export const PAGE = 20;

export function HomeScreen() {
  const { api } = useSession();
  const [balance, setBalance] = useState<number | null>(null);
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
      const [acc, page] = await Promise.all([
        unwrap(api.client.GET("/accounts/me")),
        unwrap(api.client.GET("/accounts/me/entries", { params: { query: { limit: PAGE, offset: 0 } } })),
      ]);
      setBalance(acc.balance_cents);

      setEntries(page);
      setDone(page.length < PAGE);
    } catch (e) {
      setError(messageFor(e));
    }
  }, [api]);

  useEffect(() => {
    loadFirst().finally(() => setLoading(false));
  }, [loadFirst]);

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
            <Text style={styles.balance} testID="balance" accessibilityLabel={`Saldo disponível ${balance === null ? "indisponível" : formatBRL(balance)}`}>
              {balance === null ? "—" : formatBRL(balance)}
            </Text>
          </Card>
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
          <View style={styles.entry} accessible accessibilityLabel={label} testID={`entry-${item.transfer_id}`}>
            <View>
              <Text style={styles.entryTitle}>{credit ? "Entrada" : "Saída"}</Text>
              <Text style={styles.muted}>{formatDateTime(item.created_at)}</Text>
            </View>
            <Text style={[styles.amount, { color: credit ? colors.ok : colors.text }]}>
              {credit ? "+ " : "- "}
              {formatBRL(Math.abs(item.amount_cents))}
            </Text>
          </View>
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
