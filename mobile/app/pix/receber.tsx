export { PixReceiveScreen as default } from "../../src/screens/PixReceiveScreen";
