export { PrivacyScreen as default } from "../src/screens/PrivacyScreen";
