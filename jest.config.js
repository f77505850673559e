/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The real and node tiers have their own configurations and entry points (npm run test:real, test:node).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/real/", "<rootDir>/test/node/"],
  // Evaluating the whole Pulumi program under mocks takes a few seconds per stack.
  testTimeout: 60000,
  transform: {
    "^.+\\.ts$": ["ts-jest", {}],
  },
};
