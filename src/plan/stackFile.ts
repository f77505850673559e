import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT } from "../config/errors";
import type { RawConfig } from "../config/load";

/**
 * Reads config the way the Pulumi CLI assembles it: defaults declared in Pulumi.yaml, overridden by the
 * stack file. Encrypted values cannot be read offline; they stand in as a masked placeholder.
 */

export const ENCRYPTED_PLACEHOLDER = "[secret]";

interface ProjectDeclaration {
  default?: unknown;
}

export function projectDefaults(projectFile: string): RawConfig {
  const project = parse(readFileSync(projectFile, "utf8")) as { config?: Record<string, unknown> };
  const defaults: RawConfig = {};
  for (const [key, declaration] of Object.entries(project.config ?? {})) {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (declaration && typeof declaration === "object" && "default" in declaration) {
      defaults[fullKey] = (declaration as ProjectDeclaration).default;
    } else if (typeof declaration !== "object") {
      defaults[fullKey] = declaration;
    }
  }
  return defaults;
}

export function readStackFile(stackFile: string): RawConfig {
  const document = parse(readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> } | null;
  const raw: RawConfig = {};
  for (const [key, value] of Object.entries(document?.config ?? {})) {
    const isEncrypted = value !== null && typeof value === "object" && "secure" in value;
    raw[key.includes(":") ? key : `${PROJECT}:${key}`] = isEncrypted ? ENCRYPTED_PLACEHOLDER : value;
  }
  return raw;
}

/** Keys (without namespace) whose values the stack file holds encrypted. */
export function readStackSecretKeys(stackFile: string): Set<string> {
  const document = parse(readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> } | null;
  return new Set(
    Object.entries(document?.config ?? {})
      .filter(([, value]) => value !== null && typeof value === "object" && "secure" in value)
      .map(([key]) => (key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key)),
  );
}

/** Project defaults merged with a stack file, as `pulumi up` would see them. */
export function readStackConfig(stackFile: string, projectDir = path.dirname(stackFile)): RawConfig {
  return { ...projectDefaults(path.join(projectDir, "Pulumi.yaml")), ...readStackFile(stackFile) };
}

export function stackFileFor(projectDir: string, stack: string): string {
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}
