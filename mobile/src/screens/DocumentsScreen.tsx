/** Documentos: upload a receipt, statement or contract (photo from camera or file), list and open. */
import { useState } from "react";
import { Linking } from "react-native";

import { unwrap } from "../api/client";
import { messageFor } from "../api/problem";
import { useSession } from "../auth/session";
import { formatDateTime } from "../lib/money";
import { appendPicked, pickImage } from "../platform/pickImage";
import { Body, Button, Card, Choice, ErrorBox, Loading, Notice, Row, Screen, Subtitle, Title } from "../ui/kit";
import { useRequest } from "../ui/useRequest";

type Kind = "receipt" | "statement" | "contract";
const KINDS: { value: Kind; label: string }[] = [
  { value: "receipt", label: "Comprovante" },
  { value: "statement", label: "Extrato" },
  { value: "contract", label: "Contrato" },
];
const LABEL = Object.fromEntries(KINDS.map((k) => [k.value, k.label])) as Record<string, string>;

export function DocumentsScreen() {
  const { api } = useSession();
  const docs = useRequest(() => unwrap(api.client.GET("/documents")), [api]);
  const [kind, setKind] = useState<Kind>("receipt");
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function upload(source: "camera" | "library") {
    setBusy(source);
    setError(null);
    setDone(null);
    try {
      const picked = await pickImage(source);
      if (!picked) return;
      const form = new FormData();
      form.append("kind", kind);
      appendPicked(form, "file", picked);
      const d = await api.raw<{ filename: string }>("POST", "/documents", form);
      setDone(`Documento enviado: ${d.filename}`);
      await docs.reload();
    } catch (e) {
      setError(e instanceof Error && e.message === "camera_denied" ? "Permita o uso da câmera para fotografar o documento." : messageFor(e));
    } finally {
      setBusy(null);
    }
  }

  async function open(id: string) {
    setError(null);
    try {
      const d = await unwrap(api.client.GET("/documents/{doc_id}", { params: { path: { doc_id: id } } }));
      if (!d.download_url) throw new Error("no link");
      const u = new URL(d.download_url);
      // the gateway's own signed link goes through the same base URL the app uses (LAN, proxy)
      const link = u.pathname.startsWith("/documents/") ? `${api.baseUrl}${u.pathname}${u.search}` : d.download_url;
      await Linking.openURL(link);
    } catch (e) {
      setError(messageFor(e));
    }
  }

  return (
    <Screen testID="screen-documents">
      <Title>Documentos</Title>
      <ErrorBox message={error} />
      {done ? <Notice message={done} testID="documents-done" /> : null}
      <Subtitle>Enviar documento</Subtitle>
      <Choice label="Tipo de documento" options={KINDS} value={kind} onChange={setKind} testID="document-kind" />
      <Button label="Fotografar" onPress={() => upload("camera")} busy={busy === "camera"} testID="document-camera" />
      <Button label="Escolher arquivo" kind="secondary" onPress={() => upload("library")} busy={busy === "library"} testID="document-file" />
      <Subtitle>Meus documentos</Subtitle>
      {docs.loading ? (
        <Loading />
      ) : docs.error ? (
        <ErrorBox message={messageFor(docs.error)} testID="documents-error" />
      ) : docs.data?.length ? (
        docs.data.map((d) => (
          <Card key={d.id} testID={`document-${d.id}`}>
            <Row label={LABEL[d.kind] ?? d.kind} value={d.filename} />
            <Body muted>
              {formatDateTime(d.created_at)} · {(d.size_bytes / 1024).toFixed(0)} KB
            </Body>
            <Button label={`Abrir ${d.filename}`} kind="secondary" onPress={() => open(d.id)} testID={`document-open-${d.id}`} />
          </Card>
        ))
      ) : (
        <Body muted>Nenhum documento enviado.</Body>
      )}
    </Screen>
  );
}
