/**
 * The device key for biometric step-up: an ECDSA P-256 key pair made on the phone (@noble/curves).
 * The public half is enrolled with POST /auth/devices as a JWK; the private half stays in secure
 * storage behind the biometric prompt. A step-up signs the gateway's challenge text (SHA-256,
 * DER signature, base64url) after a local biometric check, and returns a short-lived token.
 */
import { p256 } from "@noble/curves/nist";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils";

import type { Api } from "../api/client";
import { unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import { b64url, utf8 } from "../lib/base64url";
import type { Biometrics } from "../platform/biometrics";
import type { SecretStore } from "./tokens";

export const DEVICE_KEY = "cofre.device";

export type StoredDevice = { deviceId: number; privateKeyHex: string; thumbprint: string };

export function newPrivateKey(): Uint8Array {
  return p256.utils.randomPrivateKey();
}

export function publicJwk(privateKey: Uint8Array): { kty: string; crv: string; x: string; y: string } {
  const point = p256.getPublicKey(privateKey, false); // 0x04 || x || y
  return { kty: "EC", crv: "P-256", x: b64url(point.slice(1, 33)), y: b64url(point.slice(33, 65)) };
}

export function signChallenge(privateKey: Uint8Array, challenge: string): string {
  const sig = p256.sign(sha256(utf8(challenge)), privateKey);
  return b64url(sig.toDERRawBytes());
}

export class BiometricCancelled extends Error {
  constructor() {
    super("biometric check cancelled");
  }
}

export class NoDeviceEnrolled extends Error {
  constructor() {
    super("no device enrolled");
  }
}

export class DeviceKeys {
  constructor(
    private readonly api: Api,
    private readonly store: SecretStore,
    private readonly biometrics: Biometrics,
  ) {}

  async enrolled(): Promise<StoredDevice | null> {
    const raw = await this.store.get(`${DEVICE_KEY}.meta`);
    return raw ? (JSON.parse(raw) as StoredDevice) : null;
  }

  /** Make a key pair, enrol its public half, keep the private half behind the biometric prompt. */
  async enrol(name: string): Promise<StoredDevice> {
    if (!(await this.biometrics.confirm("Cadastre este aparelho com sua biometria"))) throw new BiometricCancelled();
    const key = newPrivateKey();
    const out = await unwrap(
      this.api.client.POST("/auth/devices", { body: { name, public_key: publicJwk(key) } }),
    );
    const dev: StoredDevice = { deviceId: out.device_id, privateKeyHex: bytesToHex(key), thumbprint: out.thumbprint };
    await this.store.set(DEVICE_KEY, dev.privateKeyHex, { biometric: true });
    await this.store.set(`${DEVICE_KEY}.meta`, JSON.stringify({ ...dev, privateKeyHex: "" }));
    return dev;
  }

  async forget(): Promise<void> {
    await this.store.remove(DEVICE_KEY);
    await this.store.remove(`${DEVICE_KEY}.meta`);
  }

  /** A step-up access token for one sensitive action, after the local biometric check. */
  async stepUp(reason: string): Promise<string> {
    const dev = await this.enrolled();
    if (!dev) throw new NoDeviceEnrolled();
    if (!(await this.biometrics.confirm(reason))) throw new BiometricCancelled();
    const hex = await this.store.get(DEVICE_KEY);
    if (!hex) throw new NoDeviceEnrolled();
    const ch = await unwrap(this.api.client.POST("/auth/step-up/challenge", { body: { device_id: dev.deviceId } }));
    try {
      const tok = await unwrap(
        this.api.client.POST("/auth/step-up", {
          body: { challenge_id: ch.challenge_id, signature: signChallenge(hexToBytes(hex), ch.challenge) },
        }),
      );
      return tok.access_token;
    } catch (e) {
      if (e instanceof ApiError && e.code === "device_not_found") await this.forget();
      throw e;
    }
  }
}
