export { ChatScreen as default } from "../src/screens/ChatScreen";
