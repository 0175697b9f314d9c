import { useRouter } from "expo-router";

import { useSession } from "../auth/session";
import { Button, Screen, Title } from "../ui/kit";

export function MoreScreen() {
  const router = useRouter();
  const { logout } = useSession();
  return (
    <Screen testID="screen-more">
      <Title>Mais</Title>
      <Button label="Confirmar identidade" kind="secondary" onPress={() => router.push("/identidade")} testID="more-identity" />
      <Button label="Biometria e aparelho" kind="secondary" onPress={() => router.push("/aparelho")} testID="more-device" />
      <Button label="Privacidade e dados (LGPD)" kind="secondary" onPress={() => router.push("/privacidade")} testID="more-privacy" />
      <Button label="Documentos" kind="secondary" onPress={() => router.push("/documentos")} testID="more-documents" />
      <Button label="Atendimento" kind="secondary" onPress={() => router.push("/conversa")} testID="more-chat" />
      <Button label="Sair" kind="danger" onPress={logout} testID="logout" />
    </Screen>
  );
}
