import * as pulumi from "@pulumi/pulumi";

/**
 * Captures every resource registration the program makes under mocks, exactly as the SDK would send
 * it to the Pulumi engine: type, name, parent, dependencies (explicit and implicit), inputs with their
 * secrecy, and resource options. The offline plan is built from these records alone.
 */

export interface ResourceOptionsRecord {
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
  /** URN of the resource whose deletion makes this one's unnecessary (skipped), or null. */
  deletedWith: string | null;
  /** URN of the explicit provider, or null for the default provider of the package. */
  provider: string | null;
}

export interface ResourceRecord {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string | null;
  dependencies: string[];
  /** Inputs exactly as sent: secrets, unknowns and output values still carry the SDK's markers. */
  rawInputs: Record<string, unknown>;
  options: ResourceOptionsRecord;
}

// The register request is a generated protobuf class; only the getters used here are typed.
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): { toJavaScript(): unknown };
  getDependenciesList(): string[];
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getDeletedwith(): string;
  getProvider(): string;
}
interface RegisterResourceResponse {
  getUrn(): string;
  setUrn(urn: string): void;
}
type Callback = (error: Error | null, response?: RegisterResourceResponse) => void;
interface MonitorWithRegister {
  registerResource(request: RegisterResourceRequest, callback: Callback): void;
}

export function startRecording(): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister | undefined;
  if (!monitor) throw new Error("startRecording needs pulumi.runtime.setMocks to have been called");
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    register(request, (error, response) => {
      if (!error && response) {
        // The SDK takes the URN from the response, so children and dependencies carry the engine's too.
        const urn = engineUrn(request);
        response.setUrn(urn);
        records.push(toRecord(request, urn));
      }
      callback(error, response);
    });
  };
  return records;
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * The URN the Pulumi engine gives a resource. Its type part names the types of every ancestor below the
 * stack (`Tenants$Tenant$kubernetes:core/v1:Namespace`), while the SDK's mock monitor names only the
 * parent's; the plan's URNs are what `pulumi state` commands and the engine's diff use.
 */
export function engineUrn(
  request: Pick<RegisterResourceRequest, "getParent" | "getType" | "getName">,
): string {
  const parent = request.getParent();
  const parentType = parent ? parent.split("::")[2] : "";
  const type =
    parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${request.getType()}` : request.getType();
  return `urn:pulumi:${pulumi.runtime.getStack()}::${pulumi.runtime.getProject()}::${type}::${request.getName()}`;
}

function toRecord(request: RegisterResourceRequest, urn: string): ResourceRecord {
  return {
    urn,
    type: request.getType(),
    name: request.getName(),
    custom: request.getCustom(),
    parent: request.getParent() || null,
    dependencies: [...new Set(request.getDependenciesList())].sort(),
    rawInputs: request.getObject().toJavaScript() as Record<string, unknown>,
    options: {
      protect: request.getProtect(),
      retainOnDelete: request.getRetainondelete(),
      deleteBeforeReplace: request.getDeletebeforereplace(),
      ignoreChanges: request.getIgnorechangesList(),
      replaceOnChanges: request.getReplaceonchangesList(),
      additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
      deletedWith: request.getDeletedwith() || null,
      provider: providerUrn(request.getProvider()),
    },
  };
}

/** A provider reference is `<urn>::<id>`; the id is not known before the provider exists. */
function providerUrn(reference: string): string | null {
  if (!reference) return null;
  const separator = reference.lastIndexOf("::");
  return separator > 0 ? reference.slice(0, separator) : reference;
}
