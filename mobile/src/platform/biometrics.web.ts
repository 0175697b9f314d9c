/**
 * The biometric seam of the web build: a browser has no Face ID, so the person confirms in a dialog
 * (window.confirm), which the browser end-to-end test answers. The phone build uses
 * expo-local-authentication.
 */
import type { Biometrics } from "./biometrics";

export type { Biometrics };

export const deviceBiometrics: Biometrics = {
  async available() {
    return typeof globalThis.confirm === "function";
  },
  async confirm(reason) {
    return globalThis.confirm(`${reason}\n\n(Navegador: confirme para simular a biometria do aparelho.)`);
  },
};
