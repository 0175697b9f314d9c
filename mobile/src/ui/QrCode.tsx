/** A QR code drawn with plain Views from the `qrcode` package's module matrix (no native SVG). */
import QRCode from "qrcode";
import { useMemo } from "react";
import { View } from "react-native";

export function QrCode({ value, size = 240, testID }: { value: string; size?: number; testID?: string }) {
  const matrix = useMemo(() => {
    const qr = QRCode.create(value, { errorCorrectionLevel: "M" });
    const n = qr.modules.size;
    const rows: boolean[][] = [];
    for (let r = 0; r < n; r++) {
      const row: boolean[] = [];
      for (let c = 0; c < n; c++) row.push(!!qr.modules.get(r, c));
      rows.push(row);
    }
    return rows;
  }, [value]);
  const quiet = 4;
  const cell = Math.max(2, Math.floor(size / (matrix.length + 2 * quiet)));
  return (
    <View
      testID={testID}
      accessibilityRole="image"
      accessibilityLabel="QR Code do Pix para receber"
      style={{ padding: cell * quiet, backgroundColor: "#fff", alignSelf: "center" }}
    >
      {matrix.map((row, r) => (
        <View key={r} style={{ flexDirection: "row" }}>
          {row.map((on, c) => (
            <View key={c} style={{ width: cell, height: cell, backgroundColor: on ? "#000" : "#fff" }} />
          ))}
        </View>
      ))}
    </View>
  );
}
