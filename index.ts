import { readHcloudToken } from "./src/config/credentials";
import { readLastDeployedNodes } from "./src/config/lastDeployment";
import { readPulumiStackConfig } from "./src/config/pulumiConfig";
import { assertSafeTransition } from "./src/config/transition";
import { defineCluster } from "./src/program";

// Validation runs first and throws, listing every problem, before any cloud resource is registered:
// the config on its own, then the change from the last deployment (fixed roles, etcd quorum).
export = (async () => {
  const config = readPulumiStackConfig();
  const hcloudToken = readHcloudToken();
  assertSafeTransition(await readLastDeployedNodes(), config);
  return defineCluster(config, { hcloudToken });
})();
