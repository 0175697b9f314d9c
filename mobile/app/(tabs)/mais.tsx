export { MoreScreen as default } from "../../src/screens/MoreScreen";
