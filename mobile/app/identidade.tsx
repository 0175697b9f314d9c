export { IdentityScreen as default } from "../src/screens/IdentityScreen";
