import { isValidCpf, maskCpf, onlyDigits } from "../src/lib/cpf";
import { formatBRL, maskAmount, parseBRL } from "../src/lib/money";

describe("CPF", () => {
  test.each([
    ["5", "5"],
    ["529", "529"],
    ["5299", "529.9"],
    ["529982", "529.982"],
    ["5299822", "529.982.2"],
    ["529982247", "529.982.247"],
    ["5299822472", "529.982.247-2"],
    ["52998224725", "529.982.247-25"],
    ["529982247259999", "529.982.247-25"],
    ["529.982.247-25", "529.982.247-25"],
    ["abc", ""],
  ])("mask %s -> %s", (typed, shown) => expect(maskCpf(typed)).toBe(shown));

  test("check digits", () => {
    expect(isValidCpf("529.982.247-25")).toBe(true);
    expect(isValidCpf("52998224725")).toBe(true);
    expect(isValidCpf("529.982.247-24")).toBe(false);
    expect(isValidCpf("529.982.247-15")).toBe(false);
    expect(isValidCpf("111.111.111-11")).toBe(false);
    expect(isValidCpf("5299822472")).toBe(false);
    expect(onlyDigits("529.982.247-25")).toBe("52998224725");
  });

  test("every 9-digit base has exactly one valid pair of check digits", () => {
    for (const base of ["123456789", "000000001", "987654321", "100000000"]) {
      const valid = Array.from({ length: 100 }, (_, i) => base + String(i).padStart(2, "0")).filter(isValidCpf);
      expect(valid).toHaveLength(1);
    }
  });
});

describe("money (integer cents, pt-BR)", () => {
  test.each([
    [0, "R$ 0,00"],
    [5, "R$ 0,05"],
    [123456, "R$ 1.234,56"],
    [100000000, "R$ 1.000.000,00"],
    [-500, "-R$ 5,00"],
  ])("format %d -> %s", (cents, text) => expect(formatBRL(cents)).toBe(text));

  test("format refuses non-integers (no floats for money)", () => expect(() => formatBRL(1.5)).toThrow());

  test.each([
    ["1.234,56", 123456],
    ["1234,56", 123456],
    ["10", 1000],
    ["10,5", 1050],
    ["R$ 0,99", 99],
    ["0,1", 10],
    ["12,345", null],
    ["1,2,3", null],
    ["abc", null],
    ["", null],
    ["1.23", null],
  ])("parse %s -> %s", (text, cents) => expect(parseBRL(text)).toBe(cents));

  test("the amount mask shifts digits in from the right", () => {
    expect(maskAmount("1")).toBe("0,01");
    expect(maskAmount("12")).toBe("0,12");
    expect(maskAmount("123")).toBe("1,23");
    expect(maskAmount("123456")).toBe("1.234,56");
    expect(maskAmount("0,015")).toBe("0,15");
    expect(maskAmount("")).toBe("");
    expect(parseBRL(maskAmount("987654321"))).toBe(987654321);
  });
});
