/** The small set of accessible building blocks every screen uses (labels on every control). */
import { type ReactNode } from "react";
import {
  ActivityIndicator,
  Pressable,
  ScrollView,
  StyleSheet,
  Text,
  TextInput,
  View,
  type TextInputProps,
} from "react-native";

import { colors, space } from "./theme";

export function Screen({ children, testID }: { children: ReactNode; testID?: string }) {
  return (
    <ScrollView style={styles.screen} contentContainerStyle={styles.content} testID={testID} keyboardShouldPersistTaps="handled">
      {children}
    </ScrollView>
  );
}

export function Title({ children }: { children: ReactNode }) {
  return (
    <Text style={styles.title} accessibilityRole="header">
      {children}
    </Text>
  );
}

export function Subtitle({ children }: { children: ReactNode }) {
  return (
    <Text style={styles.subtitle} accessibilityRole="header">
      {children}
    </Text>
  );
}

export function Body({ children, muted, testID }: { children: ReactNode; muted?: boolean; testID?: string }) {
  return (
    <Text style={[styles.body, muted && styles.muted]} testID={testID}>
      {children}
    </Text>
  );
}

export function Card({ children, testID }: { children: ReactNode; testID?: string }) {
  return (
    <View style={styles.card} testID={testID}>
      {children}
    </View>
  );
}

type FieldProps = TextInputProps & { label: string; error?: string | null; testID?: string };

export function Field({ label, error, testID, ...input }: FieldProps) {
  return (
    <View style={styles.field}>
      <Text style={styles.label}>{label}</Text>
      <TextInput
        accessibilityLabel={label}
        testID={testID}
        placeholderTextColor={colors.muted}
        style={[styles.input, error ? styles.inputError : null]}
        {...input}
      />
      {error ? (
        <Text style={styles.fieldError} accessibilityLiveRegion="polite" testID={testID ? `${testID}-error` : undefined}>
          {error}
        </Text>
      ) : null}
    </View>
  );
}

type ButtonProps = {
  label: string;
  onPress: () => void;
  testID?: string;
  busy?: boolean;
  disabled?: boolean;
  kind?: "primary" | "secondary" | "danger";
  hint?: string;
};

export function Button({ label, onPress, testID, busy, disabled, kind = "primary", hint }: ButtonProps) {
  const off = disabled || busy;
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityLabel={label}
      accessibilityHint={hint}
      accessibilityState={{ disabled: !!off, busy: !!busy }}
      disabled={off}
      onPress={onPress}
      testID={testID}
      style={({ pressed }) => [
        styles.button,
        kind === "secondary" && styles.buttonSecondary,
        kind === "danger" && styles.buttonDanger,
        off && styles.buttonOff,
        pressed && styles.buttonPressed,
      ]}
    >
      {busy ? (
        <ActivityIndicator color={kind === "secondary" ? colors.brand : "#fff"} />
      ) : (
        <Text style={[styles.buttonText, kind === "secondary" && styles.buttonTextSecondary]}>{label}</Text>
      )}
    </Pressable>
  );
}

export function ErrorBox({ message, testID = "error" }: { message: string | null | undefined; testID?: string }) {
  if (!message) return null;
  return (
    <View style={styles.error} accessibilityRole="alert" accessibilityLiveRegion="assertive" testID={testID}>
      <Text style={styles.errorText}>{message}</Text>
    </View>
  );
}

export function Notice({ message, tone = "ok", testID }: { message: string; tone?: "ok" | "warn"; testID?: string }) {
  return (
    <View style={[styles.notice, tone === "warn" && styles.noticeWarn]} accessibilityRole="summary" testID={testID}>
      <Text style={[styles.noticeText, tone === "warn" && styles.noticeTextWarn]}>{message}</Text>
    </View>
  );
}

export function Loading({ label = "Carregando…" }: { label?: string }) {
  return (
    <View style={styles.loading} accessibilityLabel={label} accessibilityRole="progressbar" testID="loading">
      <ActivityIndicator color={colors.brand} />
      <Text style={styles.muted}>{label}</Text>
    </View>
  );
}

export function Row({ label, value, testID }: { label: string; value: string; testID?: string }) {
  return (
    <View style={styles.row} accessible accessibilityLabel={`${label}: ${value}`}>
      <Text style={styles.muted}>{label}</Text>
      <Text style={styles.rowValue} testID={testID}>
        {value}
      </Text>
    </View>
  );
}

export function Choice<T extends string>({
  label,
  options,
  value,
  onChange,
  testID,
}: {
  label: string;
  options: { value: T; label: string }[];
  value: T;
  onChange: (v: T) => void;
  testID?: string;
}) {
  return (
    <View style={styles.field} accessibilityRole="radiogroup" accessibilityLabel={label}>
      <Text style={styles.label}>{label}</Text>
      <View style={styles.chips}>
        {options.map((o) => (
          <Pressable
            key={o.value}
            accessibilityRole="radio"
            accessibilityLabel={o.label}
            accessibilityState={{ selected: o.value === value }}
            onPress={() => onChange(o.value)}
            testID={testID ? `${testID}-${o.value}` : undefined}
            style={[styles.chip, o.value === value && styles.chipOn]}
          >
            <Text style={[styles.chipText, o.value === value && styles.chipTextOn]}>{o.label}</Text>
          </Pressable>
        ))}
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.bg },
  content: { padding: space(2), gap: space(1.5), maxWidth: 640, width: "100%", alignSelf: "center" },
  title: { fontSize: 24, fontWeight: "700", color: colors.text },
  subtitle: { fontSize: 18, fontWeight: "600", color: colors.text, marginTop: space(1) },
  body: { fontSize: 15, color: colors.text, lineHeight: 21 },
  muted: { color: colors.muted },
  card: { backgroundColor: colors.card, borderRadius: 12, padding: space(2), gap: space(1), borderWidth: 1, borderColor: colors.border },
  field: { gap: 4 },
  label: { fontSize: 14, fontWeight: "600", color: colors.text },
  input: { borderWidth: 1, borderColor: colors.border, borderRadius: 8, padding: 12, fontSize: 16, backgroundColor: "#fff", color: colors.text },
  inputError: { borderColor: colors.danger },
  fieldError: { color: colors.danger, fontSize: 13 },
  button: { backgroundColor: colors.brand, borderRadius: 10, paddingVertical: 14, paddingHorizontal: 16, alignItems: "center" },
  buttonSecondary: { backgroundColor: "transparent", borderWidth: 1, borderColor: colors.brand },
  buttonDanger: { backgroundColor: colors.danger },
  buttonOff: { opacity: 0.5 },
  buttonPressed: { opacity: 0.8 },
  buttonText: { color: "#fff", fontWeight: "700", fontSize: 16 },
  buttonTextSecondary: { color: colors.brand },
  error: { backgroundColor: colors.dangerBg, borderRadius: 8, padding: 12 },
  errorText: { color: colors.danger, fontSize: 15 },
  notice: { backgroundColor: colors.okBg, borderRadius: 8, padding: 12 },
  noticeWarn: { backgroundColor: colors.warnBg },
  noticeText: { color: colors.ok, fontSize: 15 },
  noticeTextWarn: { color: colors.warn },
  loading: { padding: space(3), alignItems: "center", gap: space(1) },
  row: { flexDirection: "row", justifyContent: "space-between", gap: space(1) },
  rowValue: { fontWeight: "600", color: colors.text, flexShrink: 1, textAlign: "right" },
  chips: { flexDirection: "row", flexWrap: "wrap", gap: 8 },
  chip: { borderWidth: 1, borderColor: colors.border, borderRadius: 16, paddingVertical: 6, paddingHorizontal: 12, backgroundColor: "#fff" },
  chipOn: { backgroundColor: colors.brand, borderColor: colors.brand },
  chipText: { color: colors.text },
  chipTextOn: { color: "#fff", fontWeight: "600" },
});
