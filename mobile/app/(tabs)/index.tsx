export { HomeScreen as default } from "../../src/screens/HomeScreen";
