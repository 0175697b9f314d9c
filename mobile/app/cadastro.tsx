export { RegisterScreen as default } from "../src/screens/RegisterScreen";
