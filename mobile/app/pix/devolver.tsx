export { PixRefundScreen as default } from "../../src/screens/PixRefundScreen";
