/** The navigation tree: signed-out screens (login, cadastro) and signed-in ones, guarded by the session. */
import { Stack } from "expo-router";

import { useSession } from "../auth/session";
import { Loading } from "../ui/kit";
import { colors } from "../ui/theme";

export function AppStack() {
  const { status } = useSession();
  if (status === "starting") return <Loading label="Abrindo o cofre…" />;
  return (
    <Stack
      screenOptions={{
        headerStyle: { backgroundColor: colors.brand },
        headerTintColor: "#fff",
        headerBackTitle: "Voltar",
        contentStyle: { backgroundColor: colors.bg },
      }}
    >
      <Stack.Protected guard={status === "signedIn"}>
        <Stack.Screen name="(tabs)" options={{ headerShown: false }} />
        <Stack.Screen name="pix/enviar" options={{ title: "Pix com chave" }} />
        <Stack.Screen name="pix/copia-e-cola" options={{ title: "Pix copia e cola" }} />
        <Stack.Screen name="pix/qr" options={{ title: "Ler QR Code" }} />
        <Stack.Screen name="pix/revisar" options={{ title: "Revisar Pix" }} />
        <Stack.Screen name="pix/chaves" options={{ title: "Minhas chaves Pix" }} />
        <Stack.Screen name="pix/receber" options={{ title: "Receber com Pix" }} />
        <Stack.Screen name="pix/devolver" options={{ title: "Devolver Pix" }} />
        <Stack.Screen name="privacidade" options={{ title: "Privacidade e dados" }} />
        <Stack.Screen name="documentos" options={{ title: "Documentos" }} />
        <Stack.Screen name="conversa" options={{ title: "Atendimento" }} />
        <Stack.Screen name="aparelho" options={{ title: "Biometria e aparelho" }} />
        <Stack.Screen name="identidade" options={{ title: "Confirme sua identidade" }} />
      </Stack.Protected>
      <Stack.Protected guard={status === "signedOut"}>
        <Stack.Screen name="login" options={{ title: "Entrar", headerShown: false }} />
        <Stack.Screen name="cadastro" options={{ title: "Abrir conta" }} />
      </Stack.Protected>
    </Stack>
  );
}
