import { splitOciRepository } from "../../src/config/imageScanningRules";
import { IMAGE_SCANNING_DB_DEFAULTS } from "../../src/versions";
import { stackConfigSchema } from "../../src/config/schema";
import { key, problemsAfter } from "./fixtures";

/** The image scanning keys: defaults, and the database repositories an offline cluster points at a mirror. */

const minimal = {
  clusterName: "x",
  sshAllowedSources: ["203.0.113.7/32"],
  apiAllowedSources: ["203.0.113.7/32"],
  nodes: [],
};

describe("image scanning keys", () => {
  it("scan by default, from the chart's own public database repositories", () => {
    const parsed = stackConfigSchema.parse(minimal);
    expect(parsed.imageScanningEnabled).toBe(true);
    expect(parsed.imageScanningDbRepository).toBe("mirror.gcr.io/aquasec/trivy-db");
    expect(parsed.imageScanningJavaDbRepository).toBe("mirror.gcr.io/aquasec/trivy-java-db");
    expect(IMAGE_SCANNING_DB_DEFAULTS).toEqual({
      db: parsed.imageScanningDbRepository,
      javaDb: parsed.imageScanningJavaDbRepository,
    });
  });

  it("accept the shipped stacks' defaults, a mirror with a port and a tag, and scanning turned off", () => {
    expect(problemsAfter(() => undefined)).toEqual([]);
    expect(
      problemsAfter((raw) => {
        raw[key("imageScanningDbRepository")] = "registry.internal.example:5000/mirror/trivy-db:2";
        raw[key("imageScanningJavaDbRepository")] = "harbor.example.com/aquasec/trivy-java-db";
      }),
    ).toEqual([]);
    expect(problemsAfter((raw) => (raw[key("imageScanningEnabled")] = false))).toEqual([]);
  });

  it("refuse a repository without a registry, naming the key", () => {
    expect(problemsAfter((raw) => (raw[key("imageScanningDbRepository")] = "aquasec/trivy-db"))).toEqual([
      'hetzner-k8s:imageScanningDbRepository: "aquasec" is not a registry host (a DNS name with a dot, localhost or an address, optionally :port): e.g. mirror.gcr.io/aquasec/trivy-db',
    ]);
    expect(problemsAfter((raw) => (raw[key("imageScanningJavaDbRepository")] = "trivy-java-db"))).toEqual([
      'hetzner-k8s:imageScanningJavaDbRepository: "trivy-java-db" names no registry: give <registry>/<path>, e.g. mirror.gcr.io/aquasec/trivy-db (Docker Hub is docker.io)',
    ]);
  });

  it("refuse an empty repository, a scheme, upper-case paths, digests and bad tags", () => {
    const problem = (value: string) =>
      problemsAfter((raw) => (raw[key("imageScanningDbRepository")] = value));
    expect(problem("")).toEqual([
      "hetzner-k8s:imageScanningDbRepository: must name an OCI repository <registry>/<path>, e.g. mirror.gcr.io/aquasec/trivy-db",
    ]);
    expect(problem("https://mirror.gcr.io/aquasec/trivy-db")).toEqual([
      expect.stringMatching(/^hetzner-k8s:imageScanningDbRepository: "https:" is not a registry host/),
    ]);
    expect(problem("mirror.gcr.io/AquaSec/trivy-db")).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:imageScanningDbRepository: "AquaSec\/trivy-db" is not an OCI repository path/,
      ),
    ]);
    expect(problem("mirror.gcr.io/aquasec/trivy-db@sha256:0123")).toEqual([
      expect.stringMatching(/a digest is not supported/),
    ]);
    expect(problem("mirror.gcr.io/aquasec/trivy-db:")).toEqual([
      'hetzner-k8s:imageScanningDbRepository: "" is not an OCI tag',
    ]);
  });

  it("split a repository at its first slash, as the chart joins registry and repository", () => {
    expect(splitOciRepository("mirror.gcr.io/aquasec/trivy-db")).toEqual({
      registry: "mirror.gcr.io",
      repository: "aquasec/trivy-db",
    });
    expect(splitOciRepository("localhost:5000/trivy-db:2")).toEqual({
      registry: "localhost:5000",
      repository: "trivy-db:2",
    });
  });
});
