export { PixKeysScreen as default } from "../../src/screens/PixKeysScreen";
