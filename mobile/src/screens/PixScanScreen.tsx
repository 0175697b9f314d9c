/** Ler QR Code: expo-camera scans a BR Code; the gateway parses it. Without a camera, the paste field. */
import { CameraView, useCameraPermissions } from "expo-camera";
import { useRouter } from "expo-router";
import { useRef, useState } from "react";
import { StyleSheet, View } from "react-native";

import { messageFor } from "../api/problem";
import { Body, Button, ErrorBox, Loading, Screen, Title } from "../ui/kit";
import { usePixCode } from "./PixPasteScreen";

export function PixScanScreen() {
  const [permission, request] = useCameraPermissions();
  const open = usePixCode();
  const router = useRouter();
  const handled = useRef(false);
  const [error, setError] = useState<string | null>(null);

  async function scanned({ data }: { data: string }) {
    if (handled.current) return;
    handled.current = true;
    try {
      await open(data);
    } catch (e) {
      setError(messageFor(e));
    } finally {
      setTimeout(() => {
        handled.current = false;
      }, 1500);
    }
  }

  if (!permission) return <Loading label="Abrindo a câmera…" />;
  return (
    <Screen testID="screen-pix-scan">
      <Title>Aponte para o QR Code</Title>
      {permission.granted ? (
        <View style={styles.camera} accessibilityLabel="Visor da câmera">
          <CameraView style={StyleSheet.absoluteFill} facing="back" barcodeScannerSettings={{ barcodeTypes: ["qr"] }} onBarcodeScanned={scanned} />
        </View>
      ) : (
        <>
          <Body muted>Precisamos da câmera para ler o QR Code do Pix.</Body>
          {permission.canAskAgain ? <Button label="Permitir câmera" onPress={request} testID="camera-allow" /> : null}
        </>
      )}
      <ErrorBox message={error} />
      <Button label="Prefiro colar o código" kind="secondary" onPress={() => router.replace("/pix/copia-e-cola")} testID="scan-paste-instead" />
    </Screen>
  );
}

const styles = StyleSheet.create({ camera: { height: 320, borderRadius: 12, overflow: "hidden", backgroundColor: "#000" } });
