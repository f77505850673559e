import type { StackConfig } from "../../config/schema";
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { IClusterIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer";
import { manifestOf, metadata, type Manifest } from "./common";
import { clusterIssuerName, INGRESS_CLASS } from "./releases";

/**
 * Certificates for everything behind the ingress: Let's Encrypt when the cluster has its own domain and an
 * account e-mail, otherwise a CA of the cluster's own (self-signed root, then a CA issuer), so TLS is on
 * from the first minute either way.
 */
export function clusterIssuerManifests(config: StackConfig): Manifest[] {
  const name = clusterIssuerName(config);
  if (config.letsEncryptEmail !== "") {
    // Not manifestOf<IClusterIssuer>: @kubernetes-models/cert-manager 4.4.4 predates the HTTP-01 solver's
    // `ingressClassName` (cert-manager 1.12; the cluster runs the version in versions.ts).
    return [
      {
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: metadata(name),
        spec: {
          acme: {
            server: "https://acme-v02.api.letsencrypt.org/directory",
            email: config.letsEncryptEmail,
            privateKeySecretRef: { name: `${name}-account-key` },
            solvers: [{ http01: { ingress: { ingressClassName: INGRESS_CLASS } } }],
          },
        },
      },
    ];
  }
  const rootSecret = "cluster-ca";
  return [
    manifestOf<IClusterIssuer>({
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: metadata("selfsigned"),
      spec: { selfSigned: {} },
    }),
    manifestOf<ICertificate>({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: metadata("cluster-ca", "cert-manager"),
      spec: {
        isCA: true,
        commonName: `${config.clusterName} cluster CA`,
        secretName: rootSecret,
        duration: "87600h",
        privateKey: { algorithm: "ECDSA", size: 256 },
        issuerRef: { name: "selfsigned", kind: "ClusterIssuer", group: "cert-manager.io" },
      },
    }),
    manifestOf<IClusterIssuer>({
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: metadata(name),
      spec: { ca: { secretName: rootSecret } },
    }),
  ];
}
