/**
 * Confirme sua identidade (KYC): a new login only claims its CPF until it proves it. Two ways:
 * a 6-digit code sent by SMS or e-mail to the contact ON RECORD for the CPF (POST /kyc/otp 202,
 * POST /kyc/otp/verify), or a photo of the ID document and a selfie compared with the holder's
 * reference photo (POST /kyc/documents). Until then score and lake-data routes answer 403
 * identity_not_verified, which sends people here.
 */
import { useRouter } from "expo-router";
import { useState } from "react";

import { unwrap } from "../api/client";
import { ApiError, messageFor } from "../api/problem";
import type { components } from "../api/schema";
import { useSession } from "../auth/session";
import { appendPicked, pickImage, type Picked } from "../platform/pickImage";
import { Body, Button, Card, Choice, ErrorBox, Field, Loading, Notice, Screen, Subtitle, Title } from "../ui/kit";
import { useRequest } from "../ui/useRequest";

type Otp = components["schemas"]["OtpOut"];
type Channel = "sms" | "email";

/** (11) 91234-5678 as the person types it. */
export function maskPhone(text: string): string {
  const d = text.replace(/\D+/g, "").replace(/^55(?=\d{11})/, "").slice(0, 11);
  if (d.length <= 2) return d.length ? `(${d}` : "";
  if (d.length <= 7) return `(${d.slice(0, 2)}) ${d.slice(2)}`;
  return `(${d.slice(0, 2)}) ${d.slice(2, 7)}-${d.slice(7)}`;
}

export function IdentityScreen() {
  const { api } = useSession();
  const router = useRouter();
  const status = useRequest(() => unwrap(api.client.GET("/kyc/status")), [api]);
  const [channel, setChannel] = useState<Channel>("sms");
  const [destination, setDestination] = useState("");
  const [otp, setOtp] = useState<Otp | null>(null);
  const [code, setCode] = useState("");
  const [doc, setDoc] = useState<Picked | null>(null);
  const [selfie, setSelfie] = useState<Picked | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [verified, setVerified] = useState(false);

  async function run(tag: string, fn: () => Promise<void>) {
    setBusy(tag);
    setError(null);
    try {
      await fn();
    } catch (e) {
      if (e instanceof ApiError && ["challenge_expired", "too_many_attempts", "challenge_not_found", "challenge_used"].includes(e.code)) {
        setOtp(null);
        setCode("");
      }
      if (e instanceof ApiError && e.code === "already_verified") setVerified(true);
      let msg = e instanceof Error && e.message === "camera_denied" ? "Permita o uso da câmera para tirar as fotos." : messageFor(e);
      if (e instanceof ApiError && e.code === "invalid_code" && typeof e.problem.attempts_left === "number") {
        msg += ` Tentativas restantes: ${e.problem.attempts_left}.`;
      }
      setError(msg);
    } finally {
      setBusy(null);
    }
  }

  const sendCode = () =>
    run("otp", async () => {
      const dest = destination.trim();
      if (channel === "sms" && dest.replace(/\D+/g, "").length < 10) throw new ApiError(422, "invalid_destination", {});
      const body = channel === "sms" ? { channel, destination: dest } : { channel, ...(dest ? { destination: dest } : {}) };
      setOtp(await unwrap(api.client.POST("/kyc/otp", { body })));
      setCode("");
    });

  const checkCode = () =>
    run("verify", async () => {
      if (!/^\d{6}$/.test(code)) throw new ApiError(400, "invalid_code", {});
      const r = await unwrap(api.client.POST("/kyc/otp/verify", { body: { challenge_id: otp!.challenge_id, code } }));
      if (r.status === "verified") setVerified(true);
    });

  const sendDocs = () =>
    run("docs", async () => {
      const form = new FormData();
      appendPicked(form, "document", doc!);
      appendPicked(form, "selfie", selfie!);
      const r = await api.raw<{ status?: string }>("POST", "/kyc/documents", form);
      if (r?.status === "verified") setVerified(true);
    });

  const take = (which: "doc" | "selfie", source: "camera" | "library") =>
    run(`${which}-${source}`, async () => {
      const p = await pickImage(source, { selfie: which === "selfie" });
      if (p) (which === "doc" ? setDoc : setSelfie)(p);
    });

  if (status.loading) return <Loading />;
  const isVerified = verified || status.data?.status === "verified";
  const methods = status.data?.methods ?? ["otp", "documents"];
  return (
    <Screen testID="screen-identity">
      <Title>Confirme sua identidade</Title>
      <ErrorBox message={status.error ? messageFor(status.error) : error} />
      {isVerified ? (
        <>
          <Notice message="Identidade confirmada. Seu score, ofertas e dados já estão liberados." testID="identity-verified" />
          <Button label="Voltar" onPress={() => (router.canGoBack() ? router.back() : router.replace("/"))} testID="identity-back" />
        </>
      ) : (
        <>
          <Body>Para proteger seu CPF, confirme que ele é seu. Só depois disso mostramos seu score, suas ofertas e os dados que o banco tem sobre você.</Body>
          {methods.includes("otp") ? (
            <Card testID="identity-otp">
              <Subtitle>Código por SMS ou e-mail</Subtitle>
              <Body muted>Use o celular ou o e-mail que você já tem cadastrado conosco. Por segurança, só enviamos o código se ele for o do seu cadastro.</Body>
              {otp ? (
                <>
                  <Body testID="identity-otp-sent">
                    Se {otp.destination} for o {otp.channel === "sms" ? "celular" : "e-mail"} do seu cadastro, você receberá um código de 6 números. Ele vale por{" "}
                    {Math.max(1, Math.round(otp.expires_in / 60))} minutos.
                  </Body>
                  <Field label="Código de 6 números" value={code} onChangeText={(t) => setCode(t.replace(/\D+/g, "").slice(0, 6))} keyboardType="number-pad" inputMode="numeric" maxLength={6} testID="identity-code" autoComplete="one-time-code" />
                  <Button label="Confirmar código" onPress={checkCode} busy={busy === "verify"} testID="identity-verify" />
                  <Button label="Pedir outro código" kind="secondary" onPress={() => setOtp(null)} testID="identity-resend" />
                </>
              ) : (
                <>
                  <Choice label="Enviar por" options={[{ value: "sms", label: "SMS" }, { value: "email", label: "E-mail" }]} value={channel} onChange={(c) => { setChannel(c); setDestination(""); }} testID="identity-channel" />
                  {channel === "sms" ? (
                    <Field label="Celular do cadastro" value={destination} onChangeText={(t) => setDestination(maskPhone(t))} keyboardType="phone-pad" inputMode="tel" placeholder="(11) 91234-5678" testID="identity-destination" />
                  ) : (
                    <Field label="E-mail do cadastro (em branco: o e-mail do login)" value={destination} onChangeText={setDestination} keyboardType="email-address" autoCapitalize="none" testID="identity-destination" />
                  )}
                  <Button label="Enviar código" onPress={sendCode} busy={busy === "otp"} testID="identity-send-code" />
                </>
              )}
            </Card>
          ) : null}
          {methods.includes("documents") ? (
            <Card testID="identity-documents">
              <Subtitle>Documento e selfie</Subtitle>
              <Body muted>Uma foto do RG ou da CNH e uma selfie tirada agora. Comparamos a selfie com a foto oficial do titular do CPF.</Body>
              <Button label={doc ? `Documento: ${doc.name}` : "Fotografar documento"} kind="secondary" onPress={() => take("doc", "camera")} busy={busy === "doc-camera"} testID="identity-doc-camera" />
              <Button label="Escolher foto do documento" kind="secondary" onPress={() => take("doc", "library")} busy={busy === "doc-library"} testID="identity-doc-file" />
              <Button label={selfie ? `Selfie: ${selfie.name}` : "Tirar selfie"} kind="secondary" onPress={() => take("selfie", "camera")} busy={busy === "selfie-camera"} testID="identity-selfie-camera" />
              <Button label="Escolher selfie" kind="secondary" onPress={() => take("selfie", "library")} busy={busy === "selfie-library"} testID="identity-selfie-file" />
              <Button label="Enviar fotos" onPress={sendDocs} disabled={!doc || !selfie} busy={busy === "docs"} testID="identity-send-docs" />
            </Card>
          ) : null}
        </>
      )}
    </Screen>
  );
}
