/**
 * One Idempotency-Key per payment attempt: generated when the user confirms a given transfer and
 * reused for every retry of that same transfer (network failure, timeout, step-up), so the gateway
 * never moves the money twice. A changed recipient/amount/description is a new attempt, a new key.
 */

export type KeySource = () => string;

function fallbackUuid(): string {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const randomKey: KeySource = () =>
  typeof globalThis.crypto?.randomUUID === "function" ? globalThis.crypto.randomUUID() : fallbackUuid();

export class PaymentAttempt<Body> {
  private key: string | null = null;
  private fingerprint: string | null = null;

  constructor(private readonly newKey: KeySource = randomKey) {}

  /** The key for this body: the same as last time while the body is unchanged. */
  keyFor(body: Body): string {
    const fp = JSON.stringify(body);
    if (this.key === null || fp !== this.fingerprint) {
      this.key = this.newKey();
      this.fingerprint = fp;
    }
    return this.key;
  }

  /** Forget the key once the gateway gave a final answer; the next transfer is a new attempt. */
  settle(): void {
    this.key = null;
    this.fingerprint = null;
  }
}
