/** Unit and component tests (jest-expo). The browser end-to-end test is e2e/ (node --test). */
module.exports = {
  preset: "jest-expo",
  testTimeout: 30000,
  testMatch: ["<rootDir>/__tests__/**/*.test.ts?(x)"],
  testPathIgnorePatterns: ["/node_modules/", "/e2e/", "/dist/"],
  transformIgnorePatterns: [
    "node_modules/(?!((jest-)?react-native|@react-native(-community)?)|expo(nent)?|@expo(nent)?/.*|@expo-google-fonts/.*|react-navigation|@react-navigation/.*|@noble/.*|openapi-fetch|standard-navigation)",
  ],
};
