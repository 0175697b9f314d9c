/**
 * Sending a PIX: POST /pix/transfers with the attempt's Idempotency-Key, and the outcomes a person
 * must be told apart: done (201, or 200 when the gateway replays an earlier answer), held for review
 * (202, status "held": the amount is reserved, not debited, until an analyst releases or refuses it or
 * the hold expires; the gateway's Portuguese ``message`` says what happens next), refused by the fraud screen (403
 * blocked_by_fraud_screen: no money moved). A step_up_required answer is met with the device key
 * (biometric) and the SAME key is sent again; a timeout or network failure is retried by the person
 * with the same key, so the money can never move twice.
 */
import { unwrapWithStatus, type Api } from "../api/client";
import { ApiError } from "../api/problem";
import type { components } from "../api/schema";
import { isValidCpf } from "../lib/cpf";
import type { PaymentAttempt } from "../lib/idempotency";

export type TransferBody = components["schemas"]["TransferIn"];
export type KeyType = components["schemas"]["KeyType"];

export type Transfer = {
  id?: number;
  amount_cents?: number;
  status?: string;
  recipient?: { key?: string; key_type?: string; internal?: boolean };
  fraud?: { decision?: string; probability?: number; reasons?: string[] };
};

export type Outcome =
  | { kind: "done"; transfer: Transfer; balanceCents: number | null; replayed: boolean }
  | {
      kind: "held";
      transfer: Transfer;
      /** the gateway's pt-BR sentence: amount, deadline and what happens to the money */
      message: string | null;
      /** when an unreviewed hold ends (refused, the reservation undone), ISO 8601 */
      expiresAt: string | null;
      /** what can still be spent: booked balance minus every held amount */
      availableCents: number | null;
      /** the amount reserved by this transfer */
      heldCents: number | null;
      replayed: boolean;
    }
  | { kind: "blocked"; transfer: Transfer | null; reasons: string[] };

type Raw = Record<string, unknown> & {
  status?: string;
  balance_cents?: number;
  available_cents?: number;
  hold_expires_at?: string | null;
  message?: string;
  transfer?: Transfer;
};

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

export function toOutcome(status: number, body: Raw): Outcome {
  const transfer: Transfer = (body.transfer as Transfer) ?? (body as Transfer);
  if (status === 202 || body.status === "held" || transfer.status === "held") {
    const message = typeof body.message === "string" ? body.message : typeof body.detail === "string" ? body.detail : null;
    return {
      kind: "held",
      transfer,
      message,
      expiresAt: typeof body.hold_expires_at === "string" ? body.hold_expires_at : null,
      availableCents: num(body.available_cents),
      heldCents: num(transfer.amount_cents),
      replayed: status === 200,
    };
  }
  return {
    kind: "done",
    transfer,
    balanceCents: typeof body.balance_cents === "number" ? body.balance_cents : null,
    replayed: status === 200,
  };
}

export type SendOptions = {
  /** a step-up access token for this transfer (biometric), asked only when the gateway requires it */
  stepUp: () => Promise<string>;
  deviceId?: string | null;
};

export async function sendPix(api: Api, attempt: PaymentAttempt<TransferBody>, body: TransferBody, opts: SendOptions): Promise<Outcome> {
  const key = attempt.keyFor(body);
  const post = (token?: string) =>
    unwrapWithStatus(
      api.client.POST("/pix/transfers", {
        body,
        params: { header: { "Idempotency-Key": key, ...(opts.deviceId ? { "X-Device-ID": opts.deviceId } : {}) } },
        ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
      }),
    );
  try {
    let res;
    try {
      res = await post();
    } catch (e) {
      if (!(e instanceof ApiError && e.code === "step_up_required")) throw e;
      res = await post(await opts.stepUp());
    }
    attempt.settle();
    return toOutcome(res.status, res.data as Raw);
  } catch (e) {
    if (e instanceof ApiError && e.code === "blocked_by_fraud_screen") {
      attempt.settle();
      const reasons = Array.isArray(e.problem.reasons) ? (e.problem.reasons as string[]) : [];
      return { kind: "blocked", transfer: (e.problem.transfer as Transfer) ?? null, reasons };
    }
    // a final refusal (validation, funds, conflict) ends the attempt; a network failure or timeout keeps the key
    if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.code !== "step_up_required" && e.status !== 401 && e.status !== 429) {
      attempt.settle();
    }
    throw e;
  }
}

export const KEY_TYPES: { value: KeyType; label: string }[] = [
  { value: "CPF", label: "CPF" },
  { value: "CNPJ", label: "CNPJ" },
  { value: "EMAIL", label: "E-mail" },
  { value: "PHONE", label: "Celular" },
  { value: "EVP", label: "Chave aleatória" },
];

/** Client-side check before the gateway's (which is authoritative). Returns a message or null. */
export function checkKey(type: KeyType, key: string): string | null {
  const k = key.trim();
  if (!k) return "Informe a chave Pix.";
  const digits = k.replace(/\D+/g, "");
  switch (type) {
    case "CPF":
      return isValidCpf(digits) ? null : "CPF inválido. Confira os números.";
    case "CNPJ":
      return digits.length === 14 ? null : "CNPJ deve ter 14 números.";
    case "EMAIL":
      return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(k) ? null : "E-mail inválido.";
    case "PHONE":
      return /^\+?[\d\s()-]{10,16}$/.test(k) && digits.length >= 10 ? null : "Celular com DDD, por exemplo +55 11 91234-5678.";
    case "EVP":
      return /^[0-9a-fA-F-]{32,36}$/.test(k) ? null : "Chave aleatória inválida.";
  }
}

/** What the gateway expects for a key: CPF/CNPJ digits only, phone as +55DDDNUMBER. */
export function normaliseKey(type: KeyType, key: string): string {
  const k = key.trim();
  if (type === "CPF" || type === "CNPJ") return k.replace(/\D+/g, "");
  if (type === "PHONE") {
    const d = k.replace(/\D+/g, "");
    return d.startsWith("55") && d.length >= 12 ? `+${d}` : `+55${d}`;
  }
  if (type === "EMAIL") return k.toLowerCase();
  return k.toLowerCase();
}
