import { useRouter } from "expo-router";

import { Body, Button, Screen, Title } from "../ui/kit";

export function PixHubScreen() {
  const router = useRouter();
  return (
    <Screen testID="screen-pix">
      <Title>Pix</Title>
      <Body muted>Transferências na hora, 24 horas por dia.</Body>
      <Button label="Pagar com chave Pix" onPress={() => router.push("/pix/enviar")} testID="pix-by-key" />
      <Button label="Pix copia e cola" kind="secondary" onPress={() => router.push("/pix/copia-e-cola")} testID="pix-paste" />
      <Button label="Ler QR Code" kind="secondary" onPress={() => router.push("/pix/qr")} testID="pix-scan" />
      <Button label="Receber com QR Code" kind="secondary" onPress={() => router.push("/pix/receber")} testID="pix-receive" />
      <Button label="Minhas chaves Pix" kind="secondary" onPress={() => router.push("/pix/chaves")} testID="pix-keys" />
    </Screen>
  );
}
