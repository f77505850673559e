import { describe, field, known, nonEmptyString, plainProps, type ResourcePolicy } from "./common";

export const HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
export const HELM_CHART_V4_TYPE = "kubernetes:helm.sh/v4:Chart";
const HELM_TYPES: readonly string[] = [HELM_RELEASE_TYPE, HELM_CHART_V4_TYPE];

/** An exact semantic version, optionally with a leading "v": no ranges, wildcards or partial versions. */
export const EXACT_VERSION =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export function isExactVersion(version: string): boolean {
  return EXACT_VERSION.test(version.trim());
}

export const helmReleasesPinned: ResourcePolicy = {
  name: "helm-releases-pinned",
  description:
    "Every Helm release (kubernetes:helm.sh/v3:Release, kubernetes:helm.sh/v4:Chart) names its chart " +
    "repository (repositoryOpts.repo) and an exact chart version (1.2.3 or v1.2.3, no ranges such as " +
    "^1.2, ~1.2, 1.x, * or >=1.0), so a preview shows exactly what an update installs.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!HELM_TYPES.includes(args.type)) return;
    const props = plainProps(args.props);
    const chart = known(props.chart);
    const kind = args.type === HELM_RELEASE_TYPE ? "Helm release" : "Helm chart";
    const what = `${describe(kind, args.name, props.name)}${nonEmptyString(chart) ? ` of chart "${chart}"` : ""}`;

    const version = known(props.version);
    if (!nonEmptyString(version)) {
      reportViolation(`${what} has no version: pin the chart to an exact version such as "1.2.3".`);
    } else if (!isExactVersion(version)) {
      reportViolation(
        `${what} has version "${version}", which is not an exact version: pin it to one release such as ` +
          `"1.2.3" (ranges like ^, ~, x, * or >= let the installed chart change without a code change).`,
      );
    }

    const repo = known(field(known(props.repositoryOpts), "repo"));
    if (!nonEmptyString(repo)) {
      reportViolation(
        `${what} has no repositoryOpts.repo: name the chart repository (https://... or oci://...) ` +
          `so the chart cannot come from a repository configured on the machine that runs Pulumi.`,
      );
    }
  },
};
