export { OffersScreen as default } from "../../src/screens/OffersScreen";
