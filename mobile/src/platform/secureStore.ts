/** SecretStore on a phone: expo-secure-store (iOS Keychain / Android Keystore), optionally behind biometrics. */
import * as SecureStore from "expo-secure-store";

import type { SecretStore } from "../auth/tokens";

export const deviceSecretStore: SecretStore = {
  get: (key) => SecureStore.getItemAsync(key),
  set: (key, value, opts) =>
    SecureStore.setItemAsync(key, value, {
      keychainAccessible: SecureStore.WHEN_UNLOCKED_THIS_DEVICE_ONLY,
      requireAuthentication: !!opts?.biometric,
      authenticationPrompt: "Confirme com sua biometria",
    }),
  remove: (key) => SecureStore.deleteItemAsync(key),
};
