/** Save bytes the gateway sent (the LGPD export zip): a browser download on web, a file on a phone. */
import { Platform } from "react-native";

export async function saveDownload(res: Response, filename: string): Promise<string> {
  const blob = await res.blob();
  if (Platform.OS === "web") {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return filename;
  }
  const { File, Paths } = await import("expo-file-system");
  const file = new File(Paths.document, filename);
  if (file.exists) file.delete();
  file.create();
  file.write(new Uint8Array(await blob.arrayBuffer()));
  return file.uri;
}
