/** Render the real screens and navigation tree (expo-router in memory) with a scripted gateway. */
import { renderRouter } from "expo-router/testing-library";

import TabsLayout from "../../app/(tabs)/_layout";
import { SessionProvider, type SessionDeps } from "../../src/auth/session";
import { MemorySecretStore, REFRESH_KEY } from "../../src/auth/tokens";
import type { Biometrics } from "../../src/platform/biometrics";
import { AppStack } from "../../src/screens/AppStack";
import { ChatScreen } from "../../src/screens/ChatScreen";
import { CreditScreen } from "../../src/screens/CreditScreen";
import { DeviceScreen } from "../../src/screens/DeviceScreen";
import { DocumentsScreen } from "../../src/screens/DocumentsScreen";
import { HomeScreen } from "../../src/screens/HomeScreen";
import { IdentityScreen } from "../../src/screens/IdentityScreen";
import { LoginScreen } from "../../src/screens/LoginScreen";
import { MoreScreen } from "../../src/screens/MoreScreen";
import { OffersScreen } from "../../src/screens/OffersScreen";
import { PixHubScreen } from "../../src/screens/PixHubScreen";
import { PixKeysScreen } from "../../src/screens/PixKeysScreen";
import { PixPasteScreen } from "../../src/screens/PixPasteScreen";
import { PixReceiveScreen } from "../../src/screens/PixReceiveScreen";
import { PixRefundScreen } from "../../src/screens/PixRefundScreen";
import { PixReviewScreen } from "../../src/screens/PixReviewScreen";
import { PixScanScreen } from "../../src/screens/PixScanScreen";
import { PixSendScreen } from "../../src/screens/PixSendScreen";
import { PrivacyScreen } from "../../src/screens/PrivacyScreen";
import { RegisterScreen } from "../../src/screens/RegisterScreen";
import { FakeGateway, TOKENS } from "./gateway";

export class TestBiometrics implements Biometrics {
  answer = true;
  asked: string[] = [];
  async available() {
    return true;
  }
  async confirm(reason: string) {
    this.asked.push(reason);
    return this.answer;
  }
}

export type AppOptions = { signedIn?: boolean; initialUrl?: string; secrets?: MemorySecretStore; biometrics?: TestBiometrics };

export function renderApp(gw: FakeGateway, opts: AppOptions = {}) {
  const secrets = opts.secrets ?? new MemorySecretStore();
  const biometrics = opts.biometrics ?? new TestBiometrics();
  if (opts.signedIn) {
    secrets.items.set(REFRESH_KEY, "stored-refresh");
    gw.on("POST /auth/refresh", () => [200, TOKENS]);
  }
  const deps: SessionDeps = { baseUrl: "http://gateway.test", secrets, biometrics, fetchImpl: gw.fetch, timeoutMs: 2000 };
  function Root() {
    return (
      <SessionProvider deps={deps}>
        <AppStack />
      </SessionProvider>
    );
  }
  const screen = renderRouter(
    {
      _layout: Root,
      "(tabs)/_layout": TabsLayout,
      "(tabs)/index": HomeScreen,
      "(tabs)/pix": PixHubScreen,
      "(tabs)/credito": CreditScreen,
      "(tabs)/ofertas": OffersScreen,
      "(tabs)/mais": MoreScreen,
      "pix/enviar": PixSendScreen,
      "pix/copia-e-cola": PixPasteScreen,
      "pix/qr": PixScanScreen,
      "pix/revisar": PixReviewScreen,
      "pix/chaves": PixKeysScreen,
      "pix/receber": PixReceiveScreen,
      "pix/devolver": PixRefundScreen,
      privacidade: PrivacyScreen,
      documentos: DocumentsScreen,
      conversa: ChatScreen,
      aparelho: DeviceScreen,
      identidade: IdentityScreen,
      login: LoginScreen,
      cadastro: RegisterScreen,
    },
    { initialUrl: opts.initialUrl ?? "/" },
  );
  return { screen, secrets, biometrics };
}
