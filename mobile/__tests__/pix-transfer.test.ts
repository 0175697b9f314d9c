import { p256 } from "@noble/curves/nist";
import { sha256 } from "@noble/hashes/sha2";

import { createApi } from "../src/api/client";
import { ApiError } from "../src/api/problem";
import { DeviceKeys, BiometricCancelled, NoDeviceEnrolled, newPrivateKey, publicJwk, signChallenge } from "../src/auth/device";
import { MemorySecretStore, TokenStore } from "../src/auth/tokens";
import { b64url } from "../src/lib/base64url";
import { PaymentAttempt } from "../src/lib/idempotency";
import { checkKey, normaliseKey, sendPix, type TransferBody } from "../src/pix/transfer";
import { FakeGateway, problem } from "./support/gateway";
import { TestBiometrics } from "./support/harness";

function setup(gw: FakeGateway) {
  const tokens = new TokenStore(new MemorySecretStore());
  void tokens.save({ access_token: "acc" });
  return createApi({ baseUrl: "http://gw", tokens, fetchImpl: gw.fetch, timeoutMs: 200 });
}

const body: TransferBody = { amount_cents: 2500, key: "maria@example.com", key_type: "EMAIL" };
const done = { id: 1, status: "completed", amount_cents: 2500, balance_cents: 7500, recipient: { key: "maria@example.com" } };
let n = 0;
const keys = () => `key-${++n}`;

test("a network failure keeps the Idempotency-Key; the retry sends the same one and the money moves once", async () => {
  const gw = new FakeGateway().on(
    "POST /pix/transfers",
    () => {
      throw new TypeError("Network request failed");
    },
    () => [201, done],
  );
  const api = setup(gw);
  const attempt = new PaymentAttempt<TransferBody>(keys);
  await expect(sendPix(api, attempt, body, { stepUp: async () => "s" })).rejects.toMatchObject({ code: "network_error" });
  const out = await sendPix(api, attempt, body, { stepUp: async () => "s" });
  expect(out).toMatchObject({ kind: "done", balanceCents: 7500, replayed: false });
  const sent = gw.callsTo("POST /pix/transfers").map((c) => c.headers.get("Idempotency-Key"));
  expect(sent[0]).toBe(sent[1]);
  // settled: the next transfer is a new attempt with a new key
  gw.on("POST /pix/transfers", () => [201, done]);
  await sendPix(api, attempt, body, { stepUp: async () => "s" });
  expect(gw.callsTo("POST /pix/transfers")[2].headers.get("Idempotency-Key")).not.toBe(sent[0]);
});

test("a timeout is retried with the same key; a replay (200) is reported as such", async () => {
  const gw = new FakeGateway().on(
    "POST /pix/transfers",
    () => new Promise<Response>(() => {}), // never answers
    () => [200, done],
  );
  const api = setup(gw);
  const attempt = new PaymentAttempt<TransferBody>(keys);
  await expect(sendPix(api, attempt, body, { stepUp: async () => "s" })).rejects.toMatchObject({ code: "timeout" });
  const out = await sendPix(api, attempt, body, { stepUp: async () => "s" });
  expect(out).toMatchObject({ kind: "done", replayed: true });
  const sent = gw.callsTo("POST /pix/transfers").map((c) => c.headers.get("Idempotency-Key"));
  expect(new Set(sent).size).toBe(1);
});

test("a changed amount is a new attempt with a new key", () => {
  const attempt = new PaymentAttempt<TransferBody>(keys);
  const a = attempt.keyFor(body);
  expect(attempt.keyFor({ ...body })).toBe(a);
  expect(attempt.keyFor({ ...body, amount_cents: 2600 })).not.toBe(a);
});

test("step_up_required: the step-up token is used and the SAME key is sent again", async () => {
  const gw = new FakeGateway().on(
    "POST /pix/transfers",
    () => [403, problem(403, "step_up_required")],
    (r) => (r.headers.get("Authorization") === "Bearer stepped" ? [201, done] : [403, problem(403, "step_up_required")]),
  );
  const api = setup(gw);
  const out = await sendPix(api, new PaymentAttempt(keys), body, { stepUp: async () => "stepped", deviceId: "thumb" });
  expect(out.kind).toBe("done");
  const calls = gw.callsTo("POST /pix/transfers");
  expect(calls[0].headers.get("Idempotency-Key")).toBe(calls[1].headers.get("Idempotency-Key"));
  expect(calls[0].headers.get("Authorization")).toBe("Bearer acc");
  expect(calls[1].headers.get("X-Device-ID")).toBe("thumb");
});

test("held for review (202) and refused by the fraud screen (403) are outcomes, not errors", async () => {
  const gw = new FakeGateway()
    .on("POST /pix/transfers", () => [202, { id: 9, status: "held", amount_cents: 2500 }], () => [
      403,
      problem(403, "blocked_by_fraud_screen", "blocked", { transfer: { id: 10, status: "blocked" }, reasons: ["new_device"] }),
    ]);
  const api = setup(gw);
  expect(await sendPix(api, new PaymentAttempt(keys), body, { stepUp: async () => "s" })).toMatchObject({ kind: "held", transfer: { id: 9 } });
  expect(await sendPix(api, new PaymentAttempt(keys), body, { stepUp: async () => "s" })).toMatchObject({
    kind: "blocked",
    reasons: ["new_device"],
    transfer: { id: 10 },
  });
});

test("insufficient funds is an error that ends the attempt", async () => {
  const gw = new FakeGateway().on("POST /pix/transfers", () => [422, problem(422, "insufficient_funds")]);
  const attempt = new PaymentAttempt<TransferBody>(keys);
  const first = attempt.keyFor(body);
  await expect(sendPix(setup(gw), attempt, body, { stepUp: async () => "s" })).rejects.toBeInstanceOf(ApiError);
  expect(attempt.keyFor(body)).not.toBe(first);
});

test("key checks and normalisation for the five key types", () => {
  expect(checkKey("CPF", "529.982.247-25")).toBeNull();
  expect(checkKey("CPF", "529.982.247-24")).toMatch(/CPF inválido/);
  expect(checkKey("CNPJ", "11.222.333/0001-81")).toBeNull();
  expect(checkKey("EMAIL", "a@b")).toMatch(/E-mail/);
  expect(checkKey("PHONE", "(11) 91234-5678")).toBeNull();
  expect(checkKey("EVP", "123e4567-e89b-42d3-a456-426614174000")).toBeNull();
  expect(checkKey("EVP", "")).toBe("Informe a chave Pix.");
  expect(normaliseKey("CPF", "529.982.247-25")).toBe("52998224725");
  expect(normaliseKey("PHONE", "(11) 91234-5678")).toBe("+5511912345678");
  expect(normaliseKey("PHONE", "+55 11 91234-5678")).toBe("+5511912345678");
  expect(normaliseKey("EMAIL", "Maria@Example.COM")).toBe("maria@example.com");
});

describe("device key (ECDSA P-256)", () => {
  test("the JWK is the public key and the DER signature verifies over SHA-256 of the challenge", () => {
    const priv = newPrivateKey();
    const jwk = publicJwk(priv);
    const pub = p256.getPublicKey(priv, false);
    expect(jwk).toEqual({ kty: "EC", crv: "P-256", x: b64url(pub.slice(1, 33)), y: b64url(pub.slice(33)) });
    const sig = signChallenge(priv, "cofre-step-up:abc:nonce");
    const der = Uint8Array.from(atob(sig.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - (sig.length % 4)) % 4)), (c) => c.charCodeAt(0));
    expect(p256.verify(der, sha256(new TextEncoder().encode("cofre-step-up:abc:nonce")), pub, { format: "der" })).toBe(true);
    expect(p256.verify(der, sha256(new TextEncoder().encode("another")), pub, { format: "der" })).toBe(false);
  });

  test("enrol posts the JWK after the biometric check; step-up signs the challenge", async () => {
    let enrolled: { x: string; y: string } | null = null;
    const gw = new FakeGateway()
      .on("POST /auth/devices", (r) => {
        enrolled = (r.body as { public_key: { x: string; y: string } }).public_key;
        return [201, { device_id: 4, thumbprint: "tp" }];
      })
      .on("POST /auth/step-up/challenge", () => [200, { challenge_id: "c1", challenge: "text-to-sign", expires_in: 60 }])
      .on("POST /auth/step-up", (r) => {
        const { signature } = r.body as { signature: string };
        const b64 = signature.replace(/-/g, "+").replace(/_/g, "/");
        const der = Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
        const fromB64 = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "="), (c) => c.charCodeAt(0)).slice(0, 32);
        const pub = new Uint8Array([4, ...fromB64(enrolled!.x), ...fromB64(enrolled!.y)]);
        const ok = p256.verify(der, sha256(new TextEncoder().encode("text-to-sign")), pub, { format: "der" });
        return ok ? [200, { access_token: "stepped", expires_in: 120, acr: "stepup", amr: ["pwd", "hwk"] }] : [401, problem(401, "invalid_signature")];
      });
    const store = new MemorySecretStore();
    const bio = new TestBiometrics();
    const dev = new DeviceKeys(setup(gw), store, bio);
    await expect(dev.stepUp("x")).rejects.toBeInstanceOf(NoDeviceEnrolled);
    await dev.enrol("phone");
    expect(await dev.enrolled()).toMatchObject({ deviceId: 4, thumbprint: "tp", privateKeyHex: "" });
    expect(await dev.stepUp("Confirme o Pix")).toBe("stepped");
    expect(bio.asked).toEqual(["Cadastre este aparelho com sua biometria", "Confirme o Pix"]);
    bio.answer = false;
    await expect(dev.stepUp("again")).rejects.toBeInstanceOf(BiometricCancelled);
    expect(gw.callsTo("POST /auth/step-up/challenge")).toHaveLength(1);
  });
});
