import { readPulumiStackConfig } from "./src/config/pulumiConfig";
import { defineCluster } from "./src/program";

// Validation runs first and throws, listing every problem, before any resource is registered.
export = defineCluster(readPulumiStackConfig());
