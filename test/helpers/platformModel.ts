import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import { buildPlatformModel, type PlatformModel } from "../../src/model/platform/platform";

/** The platform model of a config, with readable stand-ins for what only exists at deployment time. */
export function platformOf(config: StackConfig): PlatformModel<string> {
  return buildPlatformModel(
    config,
    buildClusterModel(config),
    {
      hostname: (prefix) => `${prefix}.example`,
      secret: (name) => `<${name}>`,
      hcloudToken: "<token>",
      networkId: "<network>",
      autoscalerClusterConfig: { value: "<config>", digest: "<digest>" },
    },
    { rules: "groups: []\n", dashboards: {} },
  );
}
