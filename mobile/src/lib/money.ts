/** Money in integer cents, shown and typed in the Brazilian format (R$ 1.234,56). Never floats. */

function groupThousands(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

/** 123456 -> "R$ 1.234,56"; -500 -> "-R$ 5,00". */
export function formatBRL(cents: number): string {
  if (!Number.isInteger(cents)) throw new Error(`cents must be an integer, got ${cents}`);
  const neg = cents < 0;
  const abs = Math.abs(cents);
  const reais = Math.floor(abs / 100).toString();
  const cent = (abs % 100).toString().padStart(2, "0");
  return `${neg ? "-" : ""}R$ ${groupThousands(reais)},${cent}`;
}

/**
 * Parse what a user typed ("1.234,56", "10", "10,5", "R$ 0,99") into integer cents; null when it is
 * not an amount. A dot is a thousands separator, the comma the decimal one (pt-BR).
 */
export function parseBRL(text: string): number | null {
  const t = text.replace(/R\$/i, "").replace(/\s+/g, "");
  if (!/^\d{1,3}(\.?\d{3})*(,\d{1,2})?$/.test(t) && !/^\d+(,\d{1,2})?$/.test(t)) return null;
  const [intPart, frac = ""] = t.replace(/\./g, "").split(",");
  if (intPart.length > 13) return null;
  const cents = Number(intPart) * 100 + Number(frac.padEnd(2, "0"));
  return Number.isSafeInteger(cents) ? cents : null;
}

/** Mask for an amount field as the user types digits: "12345" -> "123,45". */
export function maskAmount(text: string): string {
  const d = text.replace(/\D+/g, "").replace(/^0+(?=\d)/, "").slice(0, 13);
  if (!d) return "";
  const padded = d.padStart(3, "0");
  return `${groupThousands(padded.slice(0, -2))},${padded.slice(-2)}`;
}

/** ISO timestamp -> "02/12/2026 14:05" in the device's time zone. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => n.toString().padStart(2, "0");
  return `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** ISO timestamp -> "14:05" in the device's time zone. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getHours().toString().padStart(2, "0")}:${d.getMinutes().toString().padStart(2, "0")}`;
}
