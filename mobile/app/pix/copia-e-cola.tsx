export { PixPasteScreen as default } from "../../src/screens/PixPasteScreen";
