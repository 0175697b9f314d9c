/** The local biometric check (Face ID / fingerprint, or the device passcode) before using the device key. */
import * as LocalAuthentication from "expo-local-authentication";

export type Biometrics = {
  available(): Promise<boolean>;
  confirm(reason: string): Promise<boolean>;
};

export const deviceBiometrics: Biometrics = {
  async available() {
    return (await LocalAuthentication.hasHardwareAsync()) && (await LocalAuthentication.isEnrolledAsync());
  },
  async confirm(reason) {
    const r = await LocalAuthentication.authenticateAsync({
      promptMessage: reason,
      cancelLabel: "Cancelar",
      fallbackLabel: "Usar senha do aparelho",
    });
    return r.success;
  },
};
