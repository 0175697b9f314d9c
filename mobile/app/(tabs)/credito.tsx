export { CreditScreen as default } from "../../src/screens/CreditScreen";
