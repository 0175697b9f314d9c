export { PixReviewScreen as default } from "../../src/screens/PixReviewScreen";
