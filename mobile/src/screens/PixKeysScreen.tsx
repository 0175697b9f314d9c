/** Minhas chaves Pix: list, register (all five types) and delete; changes need the biometric step-up. */
import { useState } from "react";
import { View } from "react-native";

import { unwrap } from "../api/client";
import type { components } from "../api/schema";
import { useSession } from "../auth/session";
import { formatDateTime } from "../lib/money";
import { KEY_TYPES, normaliseKey, type KeyType } from "../pix/transfer";
import { stepUpMessage } from "../pix/stepUpErrors";
import { Body, Button, Card, Choice, ErrorBox, Field, Loading, Notice, Row, Screen, Subtitle, Title } from "../ui/kit";
import { useRequest } from "../ui/useRequest";

type PixKey = components["schemas"]["PixKeyOut"];
const LABEL = Object.fromEntries(KEY_TYPES.map((k) => [k.value, k.label])) as Record<string, string>;

export function PixKeysScreen() {
  const { api, device } = useSession();
  const keys = useRequest(() => unwrap(api.client.GET("/pix/keys")), [api]);
  const [type, setType] = useState<KeyType>("EVP");
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function add() {
    setBusy("add");
    setError(null);
    setDone(null);
    try {
      const token = await device.stepUp("Confirme o cadastro da chave Pix");
      const body = type === "EVP" ? { key_type: type } : { key_type: type, key: normaliseKey(type, value) };
      const k = await unwrap(api.client.POST("/pix/keys", { body, headers: { Authorization: `Bearer ${token}` } }));
      setDone(`Chave ${LABEL[k.key_type]} cadastrada: ${k.key}`);
      setValue("");
      await keys.reload();
    } catch (e) {
      setError(stepUpMessage(e));
    } finally {
      setBusy(null);
    }
  }

  async function remove(k: PixKey) {
    setBusy(`del-${k.id}`);
    setError(null);
    setDone(null);
    try {
      const token = await device.stepUp("Confirme a exclusão da chave Pix");
      await unwrap(api.client.DELETE("/pix/keys/{key_id}", { params: { path: { key_id: k.id } }, headers: { Authorization: `Bearer ${token}` } }));
      setDone(`Chave ${k.key} excluída.`);
      await keys.reload();
    } catch (e) {
      setError(stepUpMessage(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <Screen testID="screen-pix-keys">
      <Title>Minhas chaves</Title>
      <ErrorBox message={error} />
      {done ? <Notice message={done} testID="keys-done" /> : null}
      {keys.loading ? (
        <Loading />
      ) : keys.error ? (
        <ErrorBox message={stepUpMessage(keys.error)} testID="keys-error" />
      ) : keys.data && keys.data.length ? (
        keys.data.map((k) => (
          <Card key={k.id} testID={`key-${k.id}`}>
            <Row label={LABEL[k.key_type] ?? k.key_type} value={k.key} />
            <Body muted>Desde {formatDateTime(k.created_at)}</Body>
            <Button label={`Excluir chave ${k.key}`} kind="danger" onPress={() => remove(k)} busy={busy === `del-${k.id}`} testID={`key-delete-${k.id}`} />
          </Card>
        ))
      ) : (
        <Body muted>Você ainda não tem chaves Pix.</Body>
      )}
      <Subtitle>Cadastrar chave</Subtitle>
      <Choice label="Tipo de chave" options={KEY_TYPES} value={type} onChange={setType} testID="new-key-type" />
      {type !== "EVP" ? (
        <Field label="Chave" value={value} onChangeText={setValue} autoCapitalize="none" testID="new-key-value" />
      ) : (
        <Body muted>Geramos uma chave aleatória para você.</Body>
      )}
      <View>
        <Button label="Cadastrar chave" onPress={add} busy={busy === "add"} testID="new-key-submit" />
      </View>
    </Screen>
  );
}
