import { Link } from "expo-router";
import { useState } from "react";

import { messageFor } from "../api/problem";
import { useSession } from "../auth/session";
import { Body, Button, ErrorBox, Field, Notice, Screen, Title } from "../ui/kit";

export function LoginScreen() {
  const { login, notice } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit() {
    if (!email.trim() || !password) {
      setError("Informe seu e-mail e sua senha.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await login(email, password);
    } catch (e) {
      setError(messageFor(e));
      setBusy(false);
    }
  }

  return (
    <Screen testID="screen-login">
      <Title>cofre</Title>
      <Body muted>Seu banco digital. Entre com seu e-mail e senha.</Body>
      {notice ? <Notice tone="warn" message={notice} testID="session-notice" /> : null}
      <Field
        label="E-mail"
        testID="login-email"
        value={email}
        onChangeText={setEmail}
        autoCapitalize="none"
        autoComplete="email"
        keyboardType="email-address"
        inputMode="email"
      />
      <Field
        label="Senha"
        testID="login-password"
        value={password}
        onChangeText={setPassword}
        secureTextEntry
        autoComplete="current-password"
        onSubmitEditing={submit}
      />
      <ErrorBox message={error} />
      <Button label="Entrar" onPress={submit} busy={busy} testID="login-submit" />
      <Link href="/cadastro" accessibilityRole="link" accessibilityLabel="Abrir minha conta" testID="go-register">
        <Body>Ainda não tem conta? Abra a sua.</Body>
      </Link>
    </Screen>
  );
}
