/** crypto.getRandomValues for @noble/curves and idempotency keys on Hermes (browsers and Node have it). */
import * as ExpoCrypto from "expo-crypto";

const g = globalThis as { crypto?: Partial<Crypto> };
if (!g.crypto) g.crypto = {};
if (typeof g.crypto.getRandomValues !== "function") {
  g.crypto.getRandomValues = ((a: ArrayBufferView) => ExpoCrypto.getRandomValues(a as Uint8Array)) as Crypto["getRandomValues"];
}
if (typeof g.crypto.randomUUID !== "function") {
  g.crypto.randomUUID = (() => ExpoCrypto.randomUUID()) as Crypto["randomUUID"];
}
