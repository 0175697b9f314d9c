/** CPF helpers: digits only, progressive mask (000.000.000-00) and check-digit validation. */

export function onlyDigits(text: string): string {
  return text.replace(/\D+/g, "");
}

/** Mask as the user types: "12345678" -> "123.456.78", "12345678909" -> "123.456.789-09". */
export function maskCpf(text: string): string {
  const d = onlyDigits(text).slice(0, 11);
  let out = d.slice(0, 3);
  if (d.length > 3) out += "." + d.slice(3, 6);
  if (d.length > 6) out += "." + d.slice(6, 9);
  if (d.length > 9) out += "-" + d.slice(9, 11);
  return out;
}

function checkDigit(digits: string, weightStart: number): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += Number(digits[i]) * (weightStart - i);
  const r = (sum * 10) % 11;
  return r === 10 ? 0 : r;
}

/** True for an 11-digit CPF whose two check digits are right (repeated digits are invalid). */
export function isValidCpf(text: string): boolean {
  const d = onlyDigits(text);
  if (d.length !== 11 || /^(\d)\1{10}$/.test(d)) return false;
  const first = checkDigit(d.slice(0, 9), 10);
  const second = checkDigit(d.slice(0, 10), 11);
  return first === Number(d[9]) && second === Number(d[10]);
}
