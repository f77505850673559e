import {
  HELM_CHART_V4_TYPE,
  HELM_RELEASE_TYPE,
  helmReleasesPinned,
  isExactVersion,
} from "../../policy/policies/helmReleasesPinned";
import { previewProps, runResource, UNKNOWN_STRING } from "./helpers";

function release(props: Record<string, unknown>) {
  return runResource(helmReleasesPinned, HELM_RELEASE_TYPE, "rancher", {
    name: "rancher",
    chart: "rancher",
    namespace: "cattle-system",
    ...props,
  });
}

const REPO = { repositoryOpts: { repo: "https://releases.rancher.com/server-charts/stable" } };

describe("helm-releases-pinned", () => {
  it("accepts a release with an exact version and a repository", async () => {
    expect(await release({ version: "2.14.4", ...REPO })).toEqual([]);
    expect(await release({ version: "v1.21.1", ...REPO })).toEqual([]);
    expect(await release({ version: "1.0.0-rc.1+build.5", ...REPO })).toEqual([]);
  });

  it("refuses a version range, naming the release, the chart and the version", async () => {
    const violations = await release({ version: "^1.2.0", ...REPO });
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toBe(
      'Helm release "rancher" of chart "rancher" has version "^1.2.0", which is not an exact version: pin it to ' +
        'one release such as "1.2.3" (ranges like ^, ~, x, * or >= let the installed chart change without a code change).',
    );
  });

  it("refuses a missing version", async () => {
    const violations = await release({ ...REPO });
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining('Helm release "rancher" of chart "rancher" has no version'),
    ]);
  });

  it("refuses a missing repository", async () => {
    const violations = await release({ version: "2.14.4" });
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining("has no repositoryOpts.repo"),
    ]);
    expect(await release({ version: "2.14.4", repositoryOpts: { repo: " " } })).toHaveLength(1);
  });

  it("reports both problems at once", async () => {
    expect(await release({ version: "~2.14" })).toHaveLength(2);
  });

  it("checks Helm v4 charts too", async () => {
    const violations = await runResource(helmReleasesPinned, HELM_CHART_V4_TYPE, "traefik", {
      chart: "traefik",
      version: "41.x",
      repositoryOpts: { repo: "https://traefik.github.io/charts" },
    });
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining('Helm chart "traefik" of chart "traefik" has version "41.x"'),
    ]);
  });

  it("ignores resources of other types", async () => {
    expect(await runResource(helmReleasesPinned, "kubernetes:core/v1:Namespace", "rancher", {})).toEqual([]);
  });

  it("during preview, leaves a version that is not known yet to the SDK's advisory", async () => {
    const props = previewProps({ chart: "rancher", version: UNKNOWN_STRING, ...REPO });
    await expect(runResource(helmReleasesPinned, HELM_RELEASE_TYPE, "rancher", props)).rejects.toHaveProperty(
      "constructor.name",
      "UnknownValueError",
    );
  });
});

describe("isExactVersion", () => {
  it.each(["1.2.3", "v1.2.3", "0.0.1", "10.20.30", "1.2.3-alpha.1", "1.2.3+meta", "88.5.3"])(
    "%p is exact",
    (v) => {
      expect(isExactVersion(v)).toBe(true);
    },
  );

  it.each([
    "^1.2.0",
    "~1.2.0",
    "1.2",
    "1",
    "1.2.x",
    "1.x",
    "*",
    "x",
    ">=1.0.0",
    "1.2.3 - 1.4.0",
    "1.2.3 || 2.0.0",
    "01.2.3",
    "latest",
    "",
  ])("%p is not", (v) => {
    expect(isExactVersion(v)).toBe(false);
  });
});
