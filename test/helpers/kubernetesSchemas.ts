import { ClusterIssuer, Certificate, Issuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import {
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import {
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from "kubernetes-models/admissionregistration.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1";
import { StorageClass } from "kubernetes-models/storage.k8s.io/v1";
import {
  ConfigMap,
  LimitRange,
  Namespace,
  Node as KubernetesNode,
  ResourceQuota,
  Secret,
  ServiceAccount,
} from "kubernetes-models/v1";
import { VELERO_SCHEMAS } from "./veleroSchemas";

/**
 * The official API schemas (Kubernetes, cert-manager, prometheus-operator) of every kind the program
 * creates, keyed by `apiVersion/kind`. A kind missing here fails the schema test, so nothing escapes it.
 */

interface Validatable {
  validate(): void;
}
type SchemaModel = new (data: never) => Validatable;

export const SCHEMAS: Record<string, SchemaModel> = {
  "v1/Namespace": Namespace,
  "v1/Node": KubernetesNode,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ResourceQuota": ResourceQuota,
  "v1/LimitRange": LimitRange,
  "apps/v1/Deployment": Deployment,
  "storage.k8s.io/v1/StorageClass": StorageClass,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "scheduling.k8s.io/v1/PriorityClass": PriorityClass,
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": ValidatingAdmissionPolicy,
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": ValidatingAdmissionPolicyBinding,
  "cert-manager.io/v1/ClusterIssuer": ClusterIssuer,
  "cert-manager.io/v1/Issuer": Issuer,
  "cert-manager.io/v1/Certificate": Certificate,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
  ...VELERO_SCHEMAS,
};

/** Throws with the schema's own message when the object does not match its API schema. */
export function validateAgainstSchema(object: {
  apiVersion?: unknown;
  kind?: unknown;
  [field: string]: unknown;
}): void {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const model = SCHEMAS[key];
  if (!model) throw new Error(`no API schema registered for ${key}`);
  new model(object as never).validate();
}
