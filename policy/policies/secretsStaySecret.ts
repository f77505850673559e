import type { PolicyResource } from "@pulumi/policy";
import { describe, isList, isRecord, plainProps, Unknown, type Plain, type StackPolicy } from "./common";

/** Property names that say the value is a credential. */
export const SENSITIVE_NAME = /(password|token|secret|kubeconfig|privateKey|private_key)/i;

/**
 * Names that match SENSITIVE_NAME but refer to a credential or describe it instead of holding it
 * (`secretName`, `tokenSecretRef`, `passwordEnabled`, `imagePullSecrets`, `privateKeyPath` ...).
 */
const REFERENCE_NAME =
  /(?:[a-z0-9](?:Name|Names|Ref|Refs|Id|Ids|Arn|Secrets|Enabled|Ttl|Path|File)|_(?:name|names|ref|refs|id|ids|arn|secrets|enabled|ttl|path|file))$/;

/** Properties of particular types that match SENSITIVE_NAME but hold references, not credentials. */
const REFERENCE_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  // A ServiceAccount's `secrets` lists the Secrets it may use, by name.
  "kubernetes:core/v1:ServiceAccount": ["secrets"],
};

export const STACK_TYPE = "pulumi:pulumi:Stack";
const PROVIDER_TYPE_PREFIX = "pulumi:providers:";

/** Whether a value could carry a credential: a non-empty string somewhere in it (unknown values can't tell). */
function carriesMaterial(value: Plain): boolean {
  if (typeof value === "string") return value !== "";
  if (isList(value)) return value.some(carriesMaterial);
  if (isRecord(value)) return Object.values(value).some(carriesMaterial);
  return false;
}

export function isSensitiveName(type: string, name: string): boolean {
  return (
    SENSITIVE_NAME.test(name) &&
    !REFERENCE_NAME.test(name) &&
    !(REFERENCE_PROPERTIES[type] ?? []).includes(name)
  );
}

/**
 * Whether the policy can judge the secrecy of this resource's properties.
 *
 * How @pulumi/policy 1.21 shows secrets to policies: the engine sends every property with its secret
 * marker, but the SDK unwraps secrets to their plain values before `validateResource` and `validateStack`
 * run (only remediations see `Secret` objects), so a policy cannot tell `pulumi.secret("x")` from `"x"`.
 * What does reach a policy is each resource's `opts.additionalSecretOutputs`: the outputs that Pulumi
 * encrypts whatever their inputs. Generated provider SDKs put every property their schema marks secret
 * there (tls PrivateKey's keys, RandomPassword's result, command's connection, a Kubernetes Secret's data
 * and stringData), and a program can add its own.
 *
 * So the policy checks the resources whose secret outputs are declared that way: custom resources, the
 * ones that have a provider. It cannot check
 * - the stack's outputs (`pulumi:pulumi:Stack`) and component resources' outputs: they are secret only if
 *   their values are, which the SDK hides;
 * - providers (`pulumi:providers:*`): their properties are configuration, secret if set with
 *   `pulumi config set --secret` or `pulumi.secret(...)`, which the SDK hides too;
 * - properties nested below a top-level property (a Helm release's `values.grafana.adminPassword`):
 *   additionalSecretOutputs names top-level properties only.
 */
export function isJudgeable(resource: PolicyResource): boolean {
  return (
    resource.type !== STACK_TYPE &&
    !resource.type.startsWith(PROVIDER_TYPE_PREFIX) &&
    resource.provider !== undefined
  );
}

/** The top-level properties of a resource that hold a credential Pulumi does not encrypt. */
export function plainTextCredentials(resource: PolicyResource): string[] {
  if (!isJudgeable(resource)) return [];
  const secretOutputs = new Set(resource.opts.additionalSecretOutputs);
  const props = plainProps(resource.props);
  return Object.keys(props).filter((key) => {
    const value = props[key];
    return (
      isSensitiveName(resource.type, key) &&
      !secretOutputs.has(key) &&
      !(value instanceof Unknown) &&
      carriesMaterial(value)
    );
  });
}

export const secretsStaySecret: StackPolicy = {
  name: "secrets-stay-secret",
  description:
    "Resource properties named like credentials (password, token, secret, kubeconfig, privateKey, " +
    "private_key) must be Pulumi secrets, declared through additionalSecretOutputs (which generated " +
    "SDKs set for schema secrets). Stack and component outputs, provider configuration and nested " +
    "properties cannot be checked: @pulumi/policy unwraps secrets before policies see them.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const resource of args.resources) {
      for (const property of plainTextCredentials(resource)) {
        const what = describe(resource.type, resource.name, undefined);
        reportViolation(
          `${what}: property "${property}" holds a credential that is not declared secret; declare it with ` +
            `the resource option additionalSecretOutputs: ["${property}"] so Pulumi encrypts it in the state ` +
            `(pulumi.secret() on the input protects it too, but policies cannot see that).`,
          resource.urn,
        );
      }
    }
  },
};
