/**
 * SecretStore in a browser (the web export used for tests and demos): sessionStorage, so secrets
 * end with the tab. A browser has no Keychain; the phone build uses expo-secure-store.
 */
import type { SecretStore } from "../auth/tokens";

export const deviceSecretStore: SecretStore = {
  get: async (key) => globalThis.sessionStorage?.getItem(key) ?? null,
  set: async (key, value) => globalThis.sessionStorage?.setItem(key, value),
  remove: async (key) => globalThis.sessionStorage?.removeItem(key),
};
