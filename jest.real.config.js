/**
 * The real tier: the program's Kubernetes layers under the real Pulumi engine and pulumi-kubernetes
 * provider against a real control plane. Run through `npm run test:real` (test/real/run.sh), which
 * builds the components and starts the control plane first. One file at a time: they share a cluster.
 * @type {import('jest').Config}
 */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test/real"],
  testMatch: ["**/*.real.test.ts"],
  maxWorkers: 1,
  testTimeout: 600000,
  transform: {
    "^.+\\.ts$": ["ts-jest", {}],
  },
};
