export { LoginScreen as default } from "../src/screens/LoginScreen";
