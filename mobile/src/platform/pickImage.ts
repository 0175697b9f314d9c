/** A photo from the camera or the gallery/file system (expo-image-picker), ready for a multipart upload. */
import * as ImagePicker from "expo-image-picker";

export type Picked = { uri: string; name: string; type: string; file?: File | null };

export async function pickImage(source: "camera" | "library", opts: { selfie?: boolean } = {}): Promise<Picked | null> {
  if (source === "camera") {
    const perm = await ImagePicker.requestCameraPermissionsAsync();
    if (!perm.granted) throw new Error("camera_denied");
  }
  const options: ImagePicker.ImagePickerOptions = {
    mediaTypes: ["images"],
    quality: 0.7,
    cameraType: opts.selfie ? ImagePicker.CameraType.front : ImagePicker.CameraType.back,
  };
  const r = source === "camera" ? await ImagePicker.launchCameraAsync(options) : await ImagePicker.launchImageLibraryAsync(options);
  if (r.canceled || !r.assets?.length) return null;
  const a = r.assets[0];
  const type = a.mimeType ?? "image/jpeg";
  const name = a.fileName ?? `foto.${type === "image/png" ? "png" : "jpg"}`;
  return { uri: a.uri, name, type, file: a.file ?? null };
}

/** Append a picked file to a FormData the way each platform's fetch understands. */
export function appendPicked(form: FormData, field: string, p: Picked): void {
  if (p.file) form.append(field, p.file, p.name);
  else form.append(field, { uri: p.uri, name: p.name, type: p.type } as unknown as Blob);
}
