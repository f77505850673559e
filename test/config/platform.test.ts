import { key, problemsAfter } from "./fixtures";

describe("platform settings", () => {
  it("accepts the defaults of the shipped stacks", () => {
    expect(problemsAfter(() => undefined)).toEqual([]);
  });

  it("rejects an ingress domain that is not a DNS name", () => {
    expect(problemsAfter((raw) => (raw[key("ingressDomain")] = "Example_com"))).toEqual([
      'hetzner-k8s:ingressDomain: "Example_com" is not a DNS name',
    ]);
  });

  it("needs an ingress domain for Let's Encrypt, and a real e-mail address", () => {
    expect(problemsAfter((raw) => (raw[key("letsEncryptEmail")] = "ops@example.com"))).toEqual([
      "hetzner-k8s:letsEncryptEmail: needs ingressDomain: Let's Encrypt certificates are issued for your own domain",
    ]);
    expect(
      problemsAfter((raw) => {
        raw[key("ingressDomain")] = "k8s.example.com";
        raw[key("letsEncryptEmail")] = "not-an-address";
      }),
    ).toEqual(['hetzner-k8s:letsEncryptEmail: "not-an-address" is not an e-mail address']);
  });

  it("keeps Rancher behind the ingress", () => {
    expect(problemsAfter((raw) => (raw[key("ingressEnabled")] = false))).toEqual([
      "hetzner-k8s:rancherEnabled: needs ingressEnabled: Rancher is reached through the ingress",
    ]);
  });

  it("checks that the default storage class will exist", () => {
    expect(
      problemsAfter((raw) => {
        raw[key("hcloudCsiEnabled")] = false;
      }),
    ).toEqual(['hetzner-k8s:defaultStorageClass: is "hcloud-volumes" but hcloudCsiEnabled is false']);
    expect(
      problemsAfter((raw) => {
        raw[key("defaultStorageClass")] = "local-nvme";
        raw[key("localPathEnabled")] = false;
      }),
    ).toEqual(['hetzner-k8s:defaultStorageClass: is "local-nvme" but localPathEnabled is false']);
    expect(
      problemsAfter((raw, nodes) => {
        raw[key("defaultStorageClass")] = "local-volume";
        for (const node of nodes) delete node.volumeSizeGb;
      }),
    ).toEqual([
      'hetzner-k8s:defaultStorageClass: is "local-volume" but no node has a volume (set volumeSizeGb on some nodes)',
    ]);
    expect(problemsAfter((raw) => (raw[key("defaultStorageClass")] = "ssd"))).toEqual([
      'hetzner-k8s:defaultStorageClass: must be "hcloud-volumes", "local-nvme" or "local-volume", got "ssd"',
    ]);
  });

  it("rejects a retention that Prometheus would not read, and a storage size below 10 GB", () => {
    expect(problemsAfter((raw) => (raw[key("prometheusRetention")] = "15 days"))).toEqual([
      'hetzner-k8s:prometheusRetention: "15 days" is not a Prometheus duration (e.g. 15d, 12h)',
    ]);
    expect(problemsAfter((raw) => (raw[key("prometheusStorageGb")] = 5))).toEqual([
      "hetzner-k8s:prometheusStorageGb: must be at least 10, got 5",
    ]);
  });

  it("treats the Alertmanager webhook as a credential", () => {
    expect(
      problemsAfter((raw) => (raw[key("alertmanagerWebhookUrl")] = "https://hooks.example.com/x")),
    ).toEqual([
      "hetzner-k8s:alertmanagerWebhookUrl: is a credential stored in plain text; set it with: pulumi config set --secret hetzner-k8s:alertmanagerWebhookUrl",
    ]);
  });
});
