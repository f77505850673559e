import {
  describe,
  field,
  isList,
  isRecord,
  known,
  plainProps,
  type PlainRecord,
  type ResourcePolicy,
} from "./common";
import { HELM_RELEASE_TYPE } from "./helmReleasesPinned";

/** A spread placement group holds at most ten servers, and every autoscaled pool has one of its own. */
export const MAX_AUTOSCALED_POOL = 10;

/** What the cluster-autoscaler's Hetzner provider reads that holds a credential (cloudprovider/hetzner). */
export const CREDENTIAL_ENV = ["HCLOUD_TOKEN", "HCLOUD_CLUSTER_CONFIG", "HCLOUD_CLOUD_INIT"] as const;

function isAutoscalerRelease(props: PlainRecord): boolean {
  return known(props.chart) === "cluster-autoscaler";
}

export const autoscaledPoolsBounded: ResourcePolicy = {
  name: "autoscaled-pools-bounded",
  description:
    "The cluster-autoscaler's Helm release keeps every node group between a min of 0 or more and a max of " +
    `at most ${MAX_AUTOSCALED_POOL} (a pool's spread placement group), with min at most max, and reads the ` +
    "Hetzner token and the cluster config (every pool's user data with the join token) from Secrets: " +
    `never ${CREDENTIAL_ENV.join(", ")} as a plain value in extraEnv, which would sit in the Deployment.`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== HELM_RELEASE_TYPE) return;
    const props = plainProps(args.props);
    if (!isAutoscalerRelease(props)) return;
    const what = describe("Helm release", args.name, props.name);
    const values = known(props.values);
    const groups = known(field(values, "autoscalingGroups"));
    for (const group of isList(groups) ? groups : []) {
      const name = String(known(field(group, "name")));
      const min = known(field(group, "minSize"));
      const max = known(field(group, "maxSize"));
      if (
        typeof min !== "number" ||
        typeof max !== "number" ||
        min < 0 ||
        max > MAX_AUTOSCALED_POOL ||
        min > max
      )
        reportViolation(
          `${what} gives node group "${name}" min ${String(min)} and max ${String(max)}: it must keep ` +
            `0 <= min <= max <= ${MAX_AUTOSCALED_POOL} (one spread placement group per pool).`,
        );
    }
    const env = known(field(values, "extraEnv"));
    const plainCredentials = CREDENTIAL_ENV.filter((name) => isRecord(env) && env[name] !== undefined);
    if (plainCredentials.length > 0)
      reportViolation(
        `${what} sets ${plainCredentials.join(", ")} in extraEnv, a plain value of the Deployment: take it ` +
          "from a Secret through extraEnvSecrets.",
      );
    const fromSecrets = known(field(values, "extraEnvSecrets"));
    for (const name of ["HCLOUD_TOKEN", "HCLOUD_CLUSTER_CONFIG"])
      if (!isRecord(fromSecrets) || !isRecord(known(fromSecrets[name])))
        reportViolation(`${what} reads no ${name} from a Secret (extraEnvSecrets.${name}).`);
  },
};
