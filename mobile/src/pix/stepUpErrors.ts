/** The message for a failed biometric step-up (cancelled, no device, or the gateway's refusal). */
import { messageFor } from "../api/problem";
import { BiometricCancelled, NoDeviceEnrolled } from "../auth/device";

export function stepUpMessage(e: unknown): string {
  if (e instanceof NoDeviceEnrolled) return "Esta operação precisa de confirmação biométrica. Cadastre este aparelho em Mais › Biometria e aparelho.";
  if (e instanceof BiometricCancelled) return "Confirmação biométrica cancelada. Nada foi alterado.";
  return messageFor(e);
}
