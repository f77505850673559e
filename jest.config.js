/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The real tier has its own configuration and entry point (jest.real.config.js, npm run test:real).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/real/"],
  // Evaluating the whole Pulumi program under mocks takes a few seconds per stack.
  testTimeout: 60000,
  transform: {
    "^.+\\.ts$": ["ts-jest", {}],
  },
};
