import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ClusterModel } from "../model/cluster";
import type { PlatformDynamicValues, PlatformModel } from "../model/platform/platform";
import { createManifest, isBuiltInKind, patchManifest } from "../kubernetes/manifests";
import type { Manifest } from "../model/platform/common";
import { orderPlatform } from "../model/platform/order";
import type { AddonName } from "../model/platform/releaseModel";
import { entryOf } from "../lookup";
import { readOperatorValues } from "./files";
import { mergeValues } from "../model/platform/values";

type Deployed = pulumi.Output<string>;

export interface PlatformArgs {
  cluster: ClusterModel;
  /**
   * The add-ons' model for the values only a deployment has (passwords, addresses, tokens): the model
   * layer's buildPlatformModel over the stack, which the program binds (program.ts).
   */
  modelOf: (dynamic: PlatformDynamicValues<Deployed>) => PlatformModel<Deployed>;
  /** Alertmanager's webhook URL (secret; empty for none). */
  alertmanagerWebhookUrl: pulumi.Input<string>;
  /** With backups: Velero's credentials file, built from the S3 key pair (secret). */
  backupCredentials?: pulumi.Input<string>;
  /** Admin kubeconfig of the cluster (secret). */
  kubeconfig: pulumi.Input<string>;
  /** Hetzner API token for the cloud controller and CSI driver (secret). */
  hcloudToken: pulumi.Input<string>;
  networkId: pulumi.Input<string>;
  /** With autoscaled pools: the cluster-autoscaler's HCLOUD_CLUSTER_CONFIG (secret). */
  autoscalerClusterConfig?: { value: pulumi.Input<string>; digest: string };
  /** Public address of the ingress load balancer, for sslip.io hostnames when no domain is set. */
  ingressIpv4: pulumi.Input<string | undefined>;
  /** Install through this provider instead of one built from the kubeconfig. */
  provider?: k8s.Provider;
  /**
   * Create only objects of Kubernetes' built-in kinds: no Helm release and no custom resource, whose
   * charts and definitions come from chart repositories. Objects that wait for a release still wait for
   * whatever else they name. The real test tier runs the platform this way.
   * @default false
   */
  builtInKindsOnly?: boolean;
}

/**
 * The platform add-ons, all through one Kubernetes provider built from the cluster's kubeconfig: Hetzner
 * cloud controller and CSI driver, local-path storage, Traefik, cert-manager and issuers, Rancher and
 * kube-prometheus-stack with the cluster's own rules and dashboards.
 */
export class Platform extends pulumi.ComponentResource {
  readonly model: PlatformModel<Deployed>;
  /** The cluster's Kubernetes provider, shared with the tenants layer. */
  readonly provider: k8s.Provider;
  readonly rancherUrl?: pulumi.Output<string>;
  readonly grafanaUrl?: pulumi.Output<string>;
  readonly rancherBootstrapPassword?: pulumi.Output<string>;
  readonly grafanaAdminPassword?: pulumi.Output<string>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:platform:Platform", name, {}, opts);
    const created = createPlatform(args, this);
    this.model = created.model;
    this.provider = created.provider;
    this.rancherUrl = created.urls.rancher;
    this.grafanaUrl = created.urls.grafana;
    this.rancherBootstrapPassword = created.passwords.rancher;
    this.grafanaAdminPassword = created.passwords.grafana;
    this.registerOutputs({
      rancherUrl: this.rancherUrl,
      grafanaUrl: this.grafanaUrl,
      rancherBootstrapPassword: this.rancherBootstrapPassword,
      grafanaAdminPassword: this.grafanaAdminPassword,
    });
  }
}

function password(name: string, parent: pulumi.Resource): pulumi.Output<string> {
  return pulumi.secret(new random.RandomPassword(name, { length: 32, special: false }, { parent }).result);
}

function createPlatform(args: PlatformArgs, parent: pulumi.Resource) {
  const { cluster } = args;
  const settings = cluster.platform;
  // The identifier is the cluster's name, which never changes: a new API address in the kubeconfig (a
  // removed first control-plane node, a new load balancer) then updates the provider instead of
  // replacing it and, with it, every object in the cluster.
  const provider =
    args.provider ??
    new k8s.Provider("cluster", { kubeconfig: args.kubeconfig, clusterIdentifier: cluster.name }, { parent });
  const wanted = (manifest: Manifest) => !args.builtInKindsOnly || isBuiltInKind(manifest);
  // The passwords only feed Helm releases.
  const releases = !args.builtInKindsOnly;
  const passwords = {
    rancher: releases && settings.rancher ? password("rancher-bootstrap-password", parent) : undefined,
    grafana: releases && settings.monitoring ? password("grafana-admin-password", parent) : undefined,
  };
  const hostname = (prefix: string): Deployed =>
    settings.ingressDomain
      ? pulumi.output(`${prefix}.${settings.ingressDomain}`)
      : pulumi.interpolate`${prefix}.${pulumi.output(args.ingressIpv4).apply((ip) => ip ?? "ingress")}.sslip.io`;
  const secrets: Record<string, Deployed | undefined> = {
    rancherBootstrapPassword: passwords.rancher,
    grafanaAdminPassword: passwords.grafana,
    alertmanagerWebhookUrl: pulumi.secret(pulumi.output(args.alertmanagerWebhookUrl)),
  };
  const model = args.modelOf({
    hostname,
    secret: (name) => secrets[name] ?? pulumi.output(""),
    hcloudToken: pulumi.secret(pulumi.output(args.hcloudToken)),
    networkId: pulumi.output(args.networkId),
    ...(args.autoscalerClusterConfig !== undefined && {
      autoscalerClusterConfig: {
        value: pulumi.secret(pulumi.output(args.autoscalerClusterConfig.value)),
        digest: args.autoscalerClusterConfig.digest,
      },
    }),
    // Kept a secret: it reaches the cluster only as Velero's Secret.
    ...(settings.backups &&
      args.backupCredentials !== undefined && {
        backupCredentials: pulumi.secret(pulumi.output(args.backupCredentials)),
      }),
  });

  const options = (after: pulumi.Resource[]): pulumi.CustomResourceOptions => ({
    parent,
    provider,
    dependsOn: after,
  });
  const namespaces = [
    ...model.namespaces.map((manifest) => createManifest(manifest, options([]))),
    // Rancher's own: applied, never deleted (Rancher creates them itself if they are missing).
    ...model.sharedNamespaces.map((manifest) => patchManifest(manifest, options([]))),
  ];
  // Everything waits for the namespaces; each release and step also waits for what it names in `after`.
  const ready = new Map<AddonName, pulumi.Resource[]>();
  const waitFor = (names: readonly AddonName[]) => [
    ...namespaces,
    ...names.flatMap((name) => entryOf(ready, name, "the platform's add-ons", parent)),
  ];
  for (const item of orderPlatform(model)) {
    if (item.kind === "step") {
      const after = waitFor(item.step.after);
      // Objects of one step are independent of each other, except a namespace they bring along.
      const manifests = item.step.manifests.filter(wanted);
      const stepNamespaces = manifests.filter((manifest) => manifest.kind === "Namespace");
      const created = stepNamespaces.map((manifest) => createManifest(manifest, options(after)));
      const rest = manifests
        .filter((manifest) => manifest.kind !== "Namespace")
        .map((manifest) => createManifest(manifest, options([...after, ...created])));
      ready.set(item.step.name, [...created, ...rest]);
    } else if (args.builtInKindsOnly) {
      ready.set(item.release.name, []);
    } else {
      const { release } = item;
      ready.set(release.name, [
        new k8s.helm.v3.Release(
          release.name,
          {
            name: release.name,
            namespace: release.namespace,
            chart: release.chart.chart,
            version: release.chart.version,
            repositoryOpts: { repo: release.chart.repo },
            values: mergeValues(readOperatorValues(release.name), release.values),
            timeout: release.timeoutSeconds,
            // A failed upgrade rolls back rather than leaving half-applied add-ons.
            atomic: true,
            cleanupOnFail: true,
            waitForJobs: true,
          },
          options(waitFor(release.after)),
        ),
      ]);
    }
  }

  const url = (enabled: boolean, prefix: string) =>
    enabled ? pulumi.interpolate`https://${hostname(prefix)}` : undefined;
  return {
    model,
    provider,
    passwords,
    urls: {
      rancher: url(settings.rancher, "rancher"),
      grafana: url(settings.grafanaPublished, "grafana"),
    },
  };
}
