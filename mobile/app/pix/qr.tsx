export { PixScanScreen as default } from "../../src/screens/PixScanScreen";
