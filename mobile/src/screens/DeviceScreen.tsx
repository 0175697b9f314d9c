/** Biometria e aparelho: enrol this device's key (POST /auth/devices) behind the biometric prompt. */
import { useEffect, useState } from "react";
import { Platform } from "react-native";

import { messageFor } from "../api/problem";
import { BiometricCancelled, type StoredDevice } from "../auth/device";
import { useSession } from "../auth/session";
import { Body, Button, Card, ErrorBox, Loading, Notice, Row, Screen, Title } from "../ui/kit";

export function DeviceScreen() {
  const { device } = useSession();
  const [current, setCurrent] = useState<StoredDevice | null | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  useEffect(() => {
    device.enrolled().then(setCurrent, () => setCurrent(null));
  }, [device]);

  async function enrol() {
    setBusy(true);
    setError(null);
    try {
      const d = await device.enrol(Platform.OS === "web" ? "Navegador" : `Celular (${Platform.OS})`);
      setCurrent(d);
      setDone(true);
    } catch (e) {
      setError(e instanceof BiometricCancelled ? "Cadastro cancelado." : messageFor(e));
    } finally {
      setBusy(false);
    }
  }

  async function forget() {
    await device.forget();
    setCurrent(null);
    setDone(false);
  }

  if (current === undefined) return <Loading />;
  return (
    <Screen testID="screen-device">
      <Title>Biometria</Title>
      <Body>
        Com o aparelho cadastrado, você confirma Pix acima do limite, mudanças de chaves e pedidos de exclusão de dados com sua
        biometria. A chave de segurança fica guardada só neste aparelho.
      </Body>
      {done ? <Notice message="Aparelho cadastrado. Sua biometria agora protege as operações sensíveis." testID="device-done" /> : null}
      <ErrorBox message={error} />
      {current ? (
        <Card testID="device-enrolled">
          <Row label="Aparelho" value={`nº ${current.deviceId}`} />
          <Row label="Impressão digital da chave" value={current.thumbprint.slice(0, 12) + "…"} />
          <Button label="Remover deste aparelho" kind="secondary" onPress={forget} testID="device-forget" />
        </Card>
      ) : (
        <Button label="Cadastrar este aparelho" onPress={enrol} busy={busy} testID="device-enrol" />
      )}
    </Screen>
  );
}
