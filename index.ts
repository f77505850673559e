import * as pulumi from "@pulumi/pulumi";
import { readHcloudToken } from "./src/config/credentials";
import { formatProblem } from "./src/config/errors";
import { readLastDeployment } from "./src/config/lastDeployment";
import { readPulumiStackSource } from "./src/config/pulumiConfig";
import { checkServerTypeNotices } from "./src/config/rules";
import { assertDeployableSources } from "./src/config/sourceRules";
import { defineCluster } from "./src/program";
import { loadStack } from "./src/stack";

// Validation runs first and throws, listing every problem, before any cloud resource is registered: the
// loader checks the config on its own, the tenants' promise against the pool and the change from the last
// deployment (fixed roles and placement, etcd quorum, k3s upgrade path); then the firewall sources a real
// deployment needs. Server-type notices (a deprecated type, or a running server's type that a replacement
// node cannot have) are warnings.
export = (async () => {
  const last = await readLastDeployment();
  const stack = loadStack(readPulumiStackSource(), { last });
  for (const notice of checkServerTypeNotices(stack.config)) await pulumi.log.warn(formatProblem(notice));
  const hcloudToken = readHcloudToken();
  assertDeployableSources(stack.config);
  return defineCluster(stack, { hcloudToken });
})();
