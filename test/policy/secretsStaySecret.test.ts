import { isSensitiveName, secretsStaySecret, STACK_TYPE } from "../../policy/policies/secretsStaySecret";
import { previewProps, runStack, UNKNOWN_STRING, urnOf, type ResourceSpec } from "./helpers";

/** A resource as the shipped program has them: credentials declared secret by the generated SDKs. */
const SHIPPED: ResourceSpec[] = [
  {
    type: "tls:index/privateKey:PrivateKey",
    name: "provisioner-ssh",
    props: {
      algorithm: "ED25519",
      privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----",
      publicKeyOpenssh: "ssh-ed25519 AAAA",
    },
    additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"],
  },
  {
    type: "command:remote:Command",
    name: "kubeconfig",
    props: { connection: { host: "10.0.1.10", privateKey: "-----BEGIN" }, stdout: "apiVersion: v1" },
    additionalSecretOutputs: ["stdout", "connection"],
  },
  {
    type: "kubernetes:core/v1:Secret",
    name: "tenant-users/team-a.alice-token",
    props: {
      metadata: {
        name: "team-a.alice-token",
        namespace: "tenant-users",
        annotations: { "kubernetes.io/service-account.uid": UNKNOWN_STRING },
      },
      stringData: { token: "abc" },
      type: "kubernetes.io/service-account-token",
    },
    additionalSecretOutputs: ["data", "stringData"],
  },
  {
    type: "kubernetes:core/v1:ServiceAccount",
    name: "tenant-users/team-a.alice",
    props: {
      metadata: { name: "team-a.alice", namespace: "tenant-users" },
      automountServiceAccountToken: false,
      secrets: [{ name: "team-a.alice-token" }],
    },
  },
  {
    type: "kubernetes:cert-manager.io/v1:Certificate",
    name: "cert-manager/cluster-ca",
    props: { spec: { secretName: "cluster-ca", privateKey: { algorithm: "ECDSA" } } },
  },
];

describe("secrets-stay-secret", () => {
  it("accepts credentials declared secret, references to secrets and flags", async () => {
    expect(await runStack(secretsStaySecret, SHIPPED)).toEqual([]);
  });

  it("refuses a plain-text password output of a resource, naming the resource and the property", async () => {
    const violations = await runStack(secretsStaySecret, [
      ...SHIPPED,
      {
        type: "example:index/database:Database",
        name: "app-db",
        props: { user: "app", password: "hunter2" },
      },
    ]);
    expect(violations).toEqual([
      {
        message: expect.stringContaining(
          'example:index/database:Database "app-db": property "password" holds a credential that is not declared secret',
        ),
        urn: urnOf("example:index/database:Database", "app-db"),
      },
    ]);
    expect(violations[0].message).toContain('additionalSecretOutputs: ["password"]');
  });

  it("accepts the same password once it is declared secret", async () => {
    const violations = await runStack(secretsStaySecret, [
      {
        type: "example:index/database:Database",
        name: "app-db",
        props: { user: "app", password: "hunter2" },
        additionalSecretOutputs: ["password"],
      },
    ]);
    expect(violations).toEqual([]);
  });

  it.each([
    "apiToken",
    "client_secret",
    "kubeconfig",
    "privateKey",
    "private_key",
    "PASSWORD",
    "tokenSecret",
  ])("checks a property named %p", async (property) => {
    const violations = await runStack(secretsStaySecret, [
      { type: "example:index/thing:Thing", name: "thing", props: { [property]: { nested: ["value"] } } },
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain(`property "${property}"`);
  });

  it("does not count empty values, flags and numbers as credentials", async () => {
    const violations = await runStack(secretsStaySecret, [
      {
        type: "example:index/thing:Thing",
        name: "thing",
        props: { password: "", tokenTtlSeconds: 3600, passwordAuthentication: false, secret: null },
      },
    ]);
    expect(violations).toEqual([]);
  });

  it("cannot judge stack outputs: @pulumi/policy unwraps secrets before validateStack sees them", async () => {
    // The shipped stack exports kubeconfig, sshPrivateKey and passwords as secrets, yet a policy sees the
    // same plain strings it would see for plain-text outputs; reporting them would block every update.
    const violations = await runStack(secretsStaySecret, [
      {
        type: STACK_TYPE,
        name: "hetzner-k8s-dev",
        props: { kubeconfig: "apiVersion: v1", adminPassword: "x" },
      },
    ]);
    expect(violations).toEqual([]);
  });

  it("cannot judge component outputs or provider configuration either", async () => {
    const violations = await runStack(secretsStaySecret, [
      { type: "hetzner-k8s:k3s:K3sCluster", name: "k3s", props: { kubeconfig: "apiVersion: v1" } },
      { type: "pulumi:providers:kubernetes", name: "cluster", props: { kubeconfig: "apiVersion: v1" } },
      { type: "pulumi:providers:hcloud", name: "default_1_41_0", props: { token: "abc" } },
    ]);
    expect(violations).toEqual([]);
  });

  it("during preview, skips a credential that is not known yet", async () => {
    const violations = await runStack(secretsStaySecret, [
      { type: "example:index/thing:Thing", name: "thing", props: previewProps({ token: UNKNOWN_STRING }) },
    ]);
    expect(violations).toEqual([]);
  });
});

describe("isSensitiveName", () => {
  it.each([
    "password",
    "adminPassword",
    "token",
    "apiToken",
    "secret",
    "clientSecret",
    "kubeconfig",
    "privateKeyPem",
  ])("%p is a credential", (name) => {
    expect(isSensitiveName("example:index/thing:Thing", name)).toBe(true);
  });

  it.each([
    "secretName",
    "tokenSecretRef",
    "passwordEnabled",
    "imagePullSecrets",
    "privateKeyPath",
    "secret_id",
    "name",
  ])("%p is not", (name) => {
    expect(isSensitiveName("example:index/thing:Thing", name)).toBe(false);
  });
});
