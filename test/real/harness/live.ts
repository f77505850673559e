import type { StackConfig } from "../../../src/config/schema";
import type { ClusterModel } from "../../../src/model/cluster";
import type { Manifest } from "../../../src/model/platform/common";
import { buildPlatformModel } from "../../../src/model/platform/platform";
import { priorityClassManifests, tenantUsersNamespaceManifest } from "../../../src/model/tenants";
import { readMonitoringFiles } from "../../../src/platform/files";
import { isBuiltInKind } from "../../../src/kubernetes/manifests";
import type { Kubectl } from "./kubectl";
import { HETZNER_PLACEHOLDERS } from "./program";

/**
 * Every object of the model that the Kubernetes layers create in the real tier (built-in kinds only),
 * with the same placeholders the tier's program passes for what only Hetzner assigns.
 */
export function modelManifests(model: ClusterModel, config: StackConfig): Manifest[] {
  const platform = buildPlatformModel<string>(
    config,
    model,
    {
      hostname: (prefix) => `${prefix}.${HETZNER_PLACEHOLDERS.ingressIpv4}.sslip.io`,
      secret: () => "",
      hcloudToken: HETZNER_PLACEHOLDERS.hcloudToken,
      networkId: HETZNER_PLACEHOLDERS.networkId,
    },
    readMonitoringFiles(),
  );
  return [
    ...platform.namespaces,
    ...platform.steps.flatMap((step) => step.manifests),
    ...priorityClassManifests(),
    tenantUsersNamespaceManifest(),
    ...model.tenants.flatMap((tenant) => [...tenant.namespaceManifests, ...tenant.objects]),
  ].filter(isBuiltInKind);
}

/** The live object must hold every field the manifest sets; the API server may add more. */
function missingFields(expected: unknown, live: unknown, path: string): string[] {
  if (expected === null || typeof expected !== "object") {
    // The API server leaves out a false boolean (omitempty), e.g. PriorityClass.globalDefault.
    return expected === live || (expected === false && live === undefined)
      ? []
      : [`${path}: expected ${JSON.stringify(expected)}, live ${JSON.stringify(live)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(live) || live.length !== expected.length)
      return [`${path}: expected ${expected.length} items, live ${JSON.stringify(live)}`];
    return expected.flatMap((item, index) => missingFields(item, live[index], `${path}[${index}]`));
  }
  if (live === null || typeof live !== "object") return [`${path}: missing`];
  return Object.entries(expected)
    .filter(([, value]) => value !== undefined)
    .flatMap(([key, value]) =>
      missingFields(value, (live as Record<string, unknown>)[key], `${path}.${key}`),
    );
}

/** A Secret's stringData reads back as base64 data. */
function asStored(manifest: Manifest): Manifest {
  if (manifest.kind !== "Secret" || !manifest.stringData) return manifest;
  const { stringData, ...rest } = manifest;
  const data = Object.fromEntries(
    Object.entries(stringData as Record<string, string>).map(([key, value]) => [
      key,
      Buffer.from(value).toString("base64"),
    ]),
  );
  return { ...rest, data };
}

export function expectLiveMatchesModel(admin: Kubectl, manifests: Manifest[]): void {
  const problems = manifests.flatMap((manifest) => {
    const { apiVersion, kind, metadata, ...body } = asStored(manifest);
    const group = apiVersion.includes("/") ? `.${apiVersion.split("/")[0]}` : "";
    const args = [
      "get",
      `${kind.toLowerCase()}${group}`,
      metadata.name,
      ...(metadata.namespace ? ["-n", metadata.namespace] : []),
    ];
    const result = admin.run([...args, "-o", "json"]);
    const where = `${kind} ${metadata.namespace ? `${metadata.namespace}/` : ""}${metadata.name}`;
    if (result.status !== 0) return [`${where}: ${result.stderr.trim()}`];
    const live = JSON.parse(result.stdout) as Record<string, unknown>;
    const meta = { labels: metadata.labels, annotations: metadata.annotations };
    return [...missingFields(body, live, where), ...missingFields(meta, live.metadata, `${where} metadata`)];
  });
  expect(problems).toEqual([]);
}
