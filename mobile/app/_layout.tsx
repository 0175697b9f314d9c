import "../src/platform/polyfills";

import { StatusBar } from "expo-status-bar";
import { useMemo } from "react";

import { SessionProvider, type SessionDeps } from "../src/auth/session";
import { gatewayUrl } from "../src/config";
import { deviceBiometrics } from "../src/platform/biometrics";
import { deviceSecretStore } from "../src/platform/secureStore";
import { AppStack } from "../src/screens/AppStack";

export default function RootLayout() {
  const deps = useMemo<SessionDeps>(
    () => ({ baseUrl: gatewayUrl(), secrets: deviceSecretStore, biometrics: deviceBiometrics }),
    [],
  );
  return (
    <SessionProvider deps={deps}>
      <StatusBar style="light" />
      <AppStack />
    </SessionProvider>
  );
}
