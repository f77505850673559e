import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import type { ResourcePolicy, StackPolicy } from "../../policy/policies/common";

/** Hand-built policy arguments, shaped like the ones @pulumi/policy passes, and a violation collector. */

export interface Violation {
  message: string;
  urn?: string;
}

export function collector(): { violations: Violation[]; report: ReportViolation } {
  const violations: Violation[] = [];
  const report: ReportViolation = (message, urn) => {
    violations.push(urn === undefined ? { message } : { message, urn });
  };
  return { violations, report };
}

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:dev::hetzner-k8s::${type}::${name}`;
}

function options(additionalSecretOutputs: string[] = []): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs,
  };
}

function notApplicable(reason?: string): never {
  throw new Error(`not applicable: ${reason ?? ""}`);
}

function getConfig<T extends object>(): T {
  throw new Error("these policies take no configuration");
}

export function resourceArgs(
  type: string,
  name: string,
  props: Record<string, unknown>,
): ResourceValidationArgs {
  return {
    type,
    name,
    urn: urnOf(type, name),
    props,
    opts: options(),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig,
    notApplicable,
  };
}

export async function runResource(
  policy: ResourcePolicy,
  type: string,
  name: string,
  props: Record<string, unknown>,
): Promise<Violation[]> {
  const { violations, report } = collector();
  await policy.validateResource(resourceArgs(type, name, props), report);
  return violations;
}

export interface ResourceSpec {
  type: string;
  name: string;
  props: Record<string, unknown>;
  additionalSecretOutputs?: string[];
  /** Custom resources have a provider; the stack, providers and components don't. Default: by type. */
  hasProvider?: boolean;
  /** Property name to the names of the resources its value came from. */
  propertyDependencies?: Record<string, string[]>;
}

function defaultHasProvider(type: string): boolean {
  return (
    type !== "pulumi:pulumi:Stack" &&
    !type.startsWith("pulumi:providers:") &&
    !type.startsWith("hetzner-k8s:")
  );
}

export function stackArgs(specs: readonly ResourceSpec[]): StackValidationArgs {
  const resources = specs.map((spec): PolicyResource => {
    const pkg = spec.type.split(":")[0];
    const resource: PolicyResource = {
      type: spec.type,
      name: spec.name,
      urn: urnOf(spec.type, spec.name),
      props: spec.props,
      opts: options(spec.additionalSecretOutputs),
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    };
    if (spec.hasProvider ?? defaultHasProvider(spec.type)) {
      resource.provider = {
        type: `pulumi:providers:${pkg}`,
        name: "default",
        urn: urnOf(`pulumi:providers:${pkg}`, "default"),
        props: {},
      };
    }
    return resource;
  });
  specs.forEach((spec, index) => {
    for (const [property, names] of Object.entries(spec.propertyDependencies ?? {})) {
      resources[index].propertyDependencies[property] = names.map((name) => {
        const found = resources.find((resource) => resource.name === name);
        if (!found) throw new Error(`no resource named ${name}`);
        return found;
      });
    }
  });
  return { resources, stackTags: new Map(), getConfig, notApplicable };
}

export async function runStack(policy: StackPolicy, specs: readonly ResourceSpec[]): Promise<Violation[]> {
  const { violations, report } = collector();
  await policy.validateStack(stackArgs(specs), report);
  return violations;
}

/**
 * Properties as @pulumi/policy hands them over during `pulumi preview`: behind its proxy, which throws
 * its UnknownValueError when a policy reads a value Pulumi does not know yet.
 */
const sdk = jest.requireActual<{ unknownCheckingProxy: <T extends object>(value: T) => T }>("@pulumi/policy");

/** The wire sentinel of an unknown string (the engine's "computed" value). */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The wire sentinel of an unknown array. */
export const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";

export function previewProps<T extends object>(props: T): T {
  return sdk.unknownCheckingProxy(props);
}
