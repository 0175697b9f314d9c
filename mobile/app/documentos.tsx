export { DocumentsScreen as default } from "../src/screens/DocumentsScreen";
