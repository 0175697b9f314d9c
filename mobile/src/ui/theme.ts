/** Colours and spacing of the app. */
export const colors = {
  brand: "#0B6E4F",
  brandDark: "#084C37",
  text: "#1B1F23",
  muted: "#5F6B76",
  bg: "#F4F6F5",
  card: "#FFFFFF",
  danger: "#B3261E",
  dangerBg: "#FDECEA",
  warn: "#8A5A00",
  warnBg: "#FFF4DB",
  ok: "#0B6E4F",
  okBg: "#E3F4EC",
  border: "#D5DBD8",
};
export const space = (n: number) => n * 8;
