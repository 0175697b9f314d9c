/**
 * Where the gateway is. EXPO_PUBLIC_API_URL wins (e.g. http://192.168.0.10:8000 for a phone on the
 * LAN). Otherwise: the web build calls /api on its own origin (scripts/serve-web.mjs proxies it to
 * the gateway); Expo Go calls port 8000 on the machine that serves the bundle.
 */
import Constants from "expo-constants";
import { Platform } from "react-native";

export function gatewayUrl(): string {
  const explicit = process.env.EXPO_PUBLIC_API_URL;
  if (explicit) return explicit.replace(/\/+$/, "");
  if (Platform.OS === "web" && typeof window !== "undefined") return `${window.location.origin}/api`;
  const host = Constants.expoConfig?.hostUri?.split(":")[0];
  return `http://${host ?? "127.0.0.1"}:8000`;
}
