/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Evaluating the whole Pulumi program under mocks takes a few seconds per stack.
  testTimeout: 60000,
  transform: {
    "^.+\\.ts$": ["ts-jest", {}],
  },
};
