import { useRouter } from "expo-router";
import { useState } from "react";

import { messageFor } from "../api/problem";
import { useSession } from "../auth/session";
import { isValidCpf, maskCpf, onlyDigits } from "../lib/cpf";
import { Body, Button, ErrorBox, Field, Screen, Title } from "../ui/kit";

type Errors = Partial<Record<"cpf" | "name" | "email" | "password", string>>;

export function validateRegistration(v: { cpf: string; name: string; email: string; password: string }): Errors {
  const e: Errors = {};
  if (!isValidCpf(v.cpf)) e.cpf = "CPF inválido. Confira os números.";
  if (v.name.trim().split(/\s+/).length < 2) e.name = "Informe seu nome completo.";
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.email.trim())) e.email = "E-mail inválido.";
  if (v.password.length < 10) e.password = "A senha precisa de pelo menos 10 caracteres.";
  return e;
}

export function RegisterScreen() {
  const { register, login } = useSession();
  const router = useRouter();
  const [cpf, setCpf] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const clear = (field: keyof Errors) => setErrors((e) => (e[field] ? { ...e, [field]: undefined } : e));

  async function submit() {
    const v = { cpf, name, email, password };
    const found = validateRegistration(v);
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setError(null);
    try {
      await register({ cpf: onlyDigits(cpf), name: name.trim(), email: email.trim().toLowerCase(), password });
      await login(email.trim().toLowerCase(), password);
      router.replace("/");
    } catch (e) {
      setError(messageFor(e));
      setBusy(false);
    }
  }

  return (
    <Screen testID="screen-register">
      <Title>Abra sua conta</Title>
      <Body muted>Leva um minuto. Depois, confirme sua identidade para liberar tudo.</Body>
      <Field
        label="CPF"
        testID="register-cpf"
        value={cpf}
        onChangeText={(t) => {
          setCpf(maskCpf(t));
          clear("cpf");
        }}
        keyboardType="number-pad"
        inputMode="numeric"
        placeholder="000.000.000-00"
        maxLength={14}
        error={errors.cpf}
      />
      <Field label="Nome completo" testID="register-name" value={name} onChangeText={(t) => { setName(t); clear("name"); }} autoComplete="name" error={errors.name} />
      <Field
        label="E-mail"
        testID="register-email"
        value={email}
        onChangeText={(t) => {
          setEmail(t);
          clear("email");
        }}
        autoCapitalize="none"
        keyboardType="email-address"
        inputMode="email"
        error={errors.email}
      />
      <Field
        label="Senha"
        testID="register-password"
        value={password}
        onChangeText={(t) => {
          setPassword(t);
          clear("password");
        }}
        secureTextEntry
        autoComplete="new-password"
        error={errors.password}
      />
      <ErrorBox message={error} />
      <Button label="Abrir conta" onPress={submit} busy={busy} testID="register-submit" />
    </Screen>
  );
}
