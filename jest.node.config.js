/**
 * The node tier: the program's first boot and node scripts on real Debian servers under QEMU. Run through
 * `npm run test:node` (test/node/run.sh), which builds the image and the networks first. One file at a
 * time: each boots its own servers, and two cores emulate them.
 * @type {import('jest').Config}
 */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test/node"],
  testMatch: ["**/*.node.test.ts"],
  maxWorkers: 1,
  testTimeout: 900000,
  transform: {
    "^.+\\.ts$": ["ts-jest", {}],
  },
};
