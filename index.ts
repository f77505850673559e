import * as pulumi from "@pulumi/pulumi";
import { readHcloudToken } from "./src/config/credentials";
import { formatProblem } from "./src/config/errors";
import { readLastDeployment } from "./src/config/lastDeployment";
import { readPulumiStackConfig } from "./src/config/pulumiConfig";
import { checkServerTypeNotices } from "./src/config/rules";
import { assertDeployableSources } from "./src/config/sourceRules";
import { assertSafeTransition } from "./src/config/transition";
import { defineCluster } from "./src/program";

// Validation runs first and throws, listing every problem, before any cloud resource is registered:
// the config on its own, the firewall sources a real deployment needs, then the change from the last
// deployment (fixed roles and placement, etcd quorum, k3s upgrade path). Server-type notices (a deprecated
// type, or a running server's type that a replacement node cannot have) are warnings, printed first.
export = (async () => {
  const last = await readLastDeployment();
  const config = readPulumiStackConfig(last.nodes);
  for (const notice of checkServerTypeNotices(config)) await pulumi.log.warn(formatProblem(notice));
  const hcloudToken = readHcloudToken();
  assertDeployableSources(config);
  assertSafeTransition(last, config);
  return defineCluster(config, { hcloudToken });
})();
