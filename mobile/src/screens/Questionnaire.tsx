/**
 * The suitability questionnaire (CVM Resolution 30): five questions whose option indices the gateway
 * turns into the investor profile (GET /recommendations/me?answers=a,b,c,d,e&answered_on=...). The
 * gateway keeps no answers, so the phone keeps them (secure storage) and sends them with each request;
 * a profile older than 24 months expires there.
 */
import { useState } from "react";

import type { SecretStore } from "../auth/tokens";
import { Body, Button, Card, Choice, Subtitle } from "../ui/kit";

export const QUESTIONS: { id: string; label: string; options: string[] }[] = [
  { id: "objetivo", label: "Qual é o seu principal objetivo ao investir?", options: ["Preservar o capital", "Renda estável", "Crescimento moderado", "Crescimento máximo"] },
  { id: "horizonte", label: "Por quanto tempo pretende deixar o dinheiro investido?", options: ["Menos de 1 ano", "De 1 a 3 anos", "De 3 a 5 anos", "Mais de 5 anos"] },
  { id: "tolerancia_risco", label: "Se o investimento caísse 20% em um mês, você…", options: ["Resgataria tudo", "Resgataria parte", "Manteria", "Investiria mais"] },
  { id: "conhecimento", label: "Quanto você conhece de investimentos?", options: ["Nenhum", "Básico (poupança, CDB)", "Intermediário (fundos, Tesouro)", "Avançado (ações, derivativos)"] },
  { id: "situacao_financeira", label: "Você tem reserva de emergência?", options: ["Nenhuma", "Menos de 3 meses de despesas", "De 3 a 6 meses", "Mais de 6 meses"] },
];

export type Answers = { answers: string; answered_on: string };
const KEY = "cofre.suitability";

export async function loadAnswers(store: SecretStore): Promise<Answers | null> {
  const raw = await store.get(KEY);
  return raw ? (JSON.parse(raw) as Answers) : null;
}

export function Questionnaire({ store, onSaved, onCancel }: { store: SecretStore; onSaved: (a: Answers) => void; onCancel: () => void }) {
  const [picked, setPicked] = useState<(string | null)[]>(QUESTIONS.map(() => null));
  const [error, setError] = useState<string | null>(null);

  async function save() {
    if (picked.some((p) => p === null)) {
      setError("Responda as cinco perguntas.");
      return;
    }
    const today = new Date();
    const p2 = (n: number) => String(n).padStart(2, "0");
    const a: Answers = { answers: picked.join(","), answered_on: `${today.getFullYear()}-${p2(today.getMonth() + 1)}-${p2(today.getDate())}` };
    await store.set(KEY, JSON.stringify(a));
    onSaved(a);
  }

  return (
    <Card testID="questionnaire">
      <Subtitle>Seu perfil de investidor</Subtitle>
      <Body muted>Cinco perguntas rápidas. Usamos as respostas só para indicar produtos adequados a você.</Body>
      {QUESTIONS.map((q, i) => (
        <Choice
          key={q.id}
          label={q.label}
          options={q.options.map((o, j) => ({ value: String(j), label: o }))}
          value={picked[i] ?? ""}
          onChange={(v) => setPicked((p) => p.map((x, k) => (k === i ? v : x)))}
          testID={`q-${q.id}`}
        />
      ))}
      {error ? <Body testID="questionnaire-error">{error}</Body> : null}
      <Button label="Salvar respostas" onPress={save} testID="questionnaire-save" />
      <Button label="Agora não" kind="secondary" onPress={onCancel} testID="questionnaire-cancel" />
    </Card>
  );
}
