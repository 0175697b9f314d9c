export { PixSendScreen as default } from "../../src/screens/PixSendScreen";
