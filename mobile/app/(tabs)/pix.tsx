export { PixHubScreen as default } from "../../src/screens/PixHubScreen";
