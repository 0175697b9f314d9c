/**
 * Confirme sua identidade (KYC): prove the CPF is yours with a one-time code sent by SMS or e-mail
 * (POST /kyc/otp, POST /kyc/otp/verify), or with a photo of an ID document and a selfie
 * (POST /kyc/documents). Until verified, score and lake-data routes answer 403 identity_not_verified.
 */
import { useState } from "react";

import { ApiError, messageFor } from "../api/problem";
import { useSession } from "../auth/session";
import { appendPicked, pickImage, type Picked } from "../platform/pickImage";
import { Body, Button, Card, ErrorBox, Field, Loading, Notice, Screen, Subtitle, Title } from "../ui/kit";
import { useRequest } from "../ui/useRequest";

type KycStatus = { status: "unverified" | "verified" | string; [k: string]: unknown };
type Otp = { challenge_id: string; channel: "sms" | "email"; destination: string; expires_in: number };

export function IdentityScreen() {
  const { api } = useSession();
  const status = useRequest(async () => {
    try {
      return await api.raw<KycStatus>("GET", "/kyc/status");
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && e.code === "not_found") return { status: "not_required" } as KycStatus;
      throw e;
    }
  }, [api]);
  const [otp, setOtp] = useState<Otp | null>(null);
  const [code, setCode] = useState("");
  const [doc, setDoc] = useState<Picked | null>(null);
  const [selfie, setSelfie] = useState<Picked | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [verified, setVerified] = useState(false);
  const [pending, setPending] = useState<string | null>(null);

  async function run(tag: string, fn: () => Promise<void>) {
    setBusy(tag);
    setError(null);
    try {
      await fn();
    } catch (e) {
      if (e instanceof ApiError && (e.code === "challenge_expired" || e.code === "too_many_attempts")) {
        setOtp(null);
        setCode("");
      }
      setError(e instanceof Error && e.message === "camera_denied" ? "Permita o uso da câmera para tirar as fotos." : messageFor(e));
    } finally {
      setBusy(null);
    }
  }

  const sendCode = () => run("otp", async () => setOtp(await api.raw<Otp>("POST", "/kyc/otp")));
  const checkCode = () =>
    run("verify", async () => {
      if (!/^\d{4,8}$/.test(code.trim())) throw new ApiError(422, "invalid_code", {});
      const r = await api.raw<{ status: string }>("POST", "/kyc/otp/verify", { challenge_id: otp!.challenge_id, code: code.trim() });
      if (r.status === "verified") setVerified(true);
    });
  const sendDocs = () =>
    run("docs", async () => {
      const form = new FormData();
      appendPicked(form, "document", doc!);
      appendPicked(form, "selfie", selfie!);
      const r = await api.raw<{ status?: string }>("POST", "/kyc/documents", form);
      if (r?.status === "verified") setVerified(true);
      else setPending("Recebemos suas fotos. A análise leva alguns minutos; avisaremos quando terminar.");
    });
  const take = (which: "doc" | "selfie", source: "camera" | "library") =>
    run(`${which}-${source}`, async () => {
      const p = await pickImage(source, { selfie: which === "selfie" });
      if (p) (which === "doc" ? setDoc : setSelfie)(p);
    });

  if (status.loading) return <Loading />;
  const isVerified = verified || status.data?.status === "verified";
  return (
    <Screen testID="screen-identity">
      <Title>Confirme sua identidade</Title>
      <ErrorBox message={status.error ? messageFor(status.error) : error} />
      {isVerified ? (
        <Notice message="Identidade confirmada. Tudo liberado!" testID="identity-verified" />
      ) : status.data?.status === "not_required" ? (
        <Body muted testID="identity-not-required">Sua conta não precisa de confirmação de identidade no momento.</Body>
      ) : (
        <>
          <Body>Para proteger seu CPF, confirme que ele é seu. Escolha uma das formas abaixo.</Body>
          <Card testID="identity-otp">
            <Subtitle>Código por SMS ou e-mail</Subtitle>
            {otp ? (
              <>
                <Body testID="identity-otp-sent">
                  Enviamos um código por {otp.channel === "sms" ? "SMS" : "e-mail"} para {otp.destination}. Ele vale por {Math.round(otp.expires_in / 60)} minutos.
                </Body>
                <Field label="Código recebido" value={code} onChangeText={(t) => setCode(t.replace(/\D+/g, ""))} keyboardType="number-pad" inputMode="numeric" maxLength={8} testID="identity-code" autoComplete="one-time-code" />
                <Button label="Confirmar código" onPress={checkCode} busy={busy === "verify"} testID="identity-verify" />
                <Button label="Enviar outro código" kind="secondary" onPress={sendCode} busy={busy === "otp"} testID="identity-resend" />
              </>
            ) : (
              <Button label="Enviar código" onPress={sendCode} busy={busy === "otp"} testID="identity-send-code" />
            )}
          </Card>
          <Card testID="identity-documents">
            <Subtitle>Documento e selfie</Subtitle>
            <Body muted>Uma foto do RG ou da CNH e uma selfie segurando o documento.</Body>
            <Button label={doc ? `Documento: ${doc.name}` : "Fotografar documento"} kind="secondary" onPress={() => take("doc", "camera")} busy={busy === "doc-camera"} testID="identity-doc-camera" />
            <Button label="Escolher foto do documento" kind="secondary" onPress={() => take("doc", "library")} busy={busy === "doc-library"} testID="identity-doc-file" />
            <Button label={selfie ? `Selfie: ${selfie.name}` : "Tirar selfie"} kind="secondary" onPress={() => take("selfie", "camera")} busy={busy === "selfie-camera"} testID="identity-selfie-camera" />
            <Button label="Escolher selfie" kind="secondary" onPress={() => take("selfie", "library")} busy={busy === "selfie-library"} testID="identity-selfie-file" />
            {pending ? <Notice tone="warn" message={pending} testID="identity-pending" /> : null}
            <Button label="Enviar fotos" onPress={sendDocs} disabled={!doc || !selfie} busy={busy === "docs"} testID="identity-send-docs" />
          </Card>
        </>
      )}
    </Screen>
  );
}
