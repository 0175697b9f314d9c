export { DeviceScreen as default } from "../src/screens/DeviceScreen";
