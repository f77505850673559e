import type { ConfigProblem } from "./errors";
import type { StackConfig } from "./schema";
import { IMAGE_SCANNING_DB_DEFAULTS } from "../versions";

/**
 * `<registry>/<path>[:tag]`: the registry a host name (with a dot), `localhost` or an IPv4 address, with
 * an optional port; the path one or more lower-case OCI name components. A digest is not offered: Trivy
 * looks the database up by tag (its schema version when none is given).
 */
const REGISTRY = /^(localhost|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+)(:\d{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+([._-][a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface OciRepository {
  registry: string;
  /** The path in the registry, with the tag when one was given. */
  repository: string;
}

/** Splits a repository reference at its first slash, as the chart joins the two values. */
export function splitOciRepository(reference: string): OciRepository {
  const slash = reference.indexOf("/");
  return slash < 0
    ? { registry: reference, repository: "" }
    : { registry: reference.slice(0, slash), repository: reference.slice(slash + 1) };
}

function repositoryProblem(reference: string): string | undefined {
  const example = `e.g. ${IMAGE_SCANNING_DB_DEFAULTS.db}`;
  const { registry, repository } = splitOciRepository(reference);
  if (reference === "") return `must name an OCI repository <registry>/<path>, ${example}`;
  if (repository === "")
    return `"${reference}" names no registry: give <registry>/<path>, ${example} (Docker Hub is docker.io)`;
  if (!REGISTRY.test(registry))
    return `"${registry}" is not a registry host (a DNS name with a dot, localhost or an address, optionally :port): ${example}`;
  if (repository.includes("@")) return `"${reference}": a digest is not supported, give a tag or none`;
  const colon = repository.lastIndexOf(":");
  const path = colon < 0 ? repository : repository.slice(0, colon);
  const tag = colon < 0 ? undefined : repository.slice(colon + 1);
  if (!path.split("/").every((component) => PATH_COMPONENT.test(component)))
    return `"${path}" is not an OCI repository path (lower-case letters, digits and . _ - between them, components separated by /)`;
  if (tag !== undefined && !TAG.test(tag)) return `"${tag}" is not an OCI tag`;
  return undefined;
}

/** Rules of the image scanning keys; each problem names its key. */
export function checkImageScanningConfig(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of ["imageScanningDbRepository", "imageScanningJavaDbRepository"] as const) {
    const problem = repositoryProblem(config[key]);
    if (problem !== undefined) problems.push({ path: [key], message: problem });
  }
  return problems;
}
