import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { realEnvironment } from "./environment";

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** The real kubectl of the control plane's version, as a given identity (a kubeconfig file). */
export class Kubectl {
  constructor(readonly kubeconfigPath: string) {}

  /** An identity from a kubeconfig's text, e.g. a tenant user's from the stack outputs. */
  static fromKubeconfig(name: string, kubeconfig: string): Kubectl {
    const file = path.join(realEnvironment().workDir, "kubeconfigs", `${name.replace(/\//g, "-")}.yaml`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
    return new Kubectl(file);
  }

  static admin(): Kubectl {
    return new Kubectl(realEnvironment().adminKubeconfigPath);
  }

  run(args: string[], input?: string): KubectlResult {
    const result = spawnSync("kubectl", args, {
      input,
      encoding: "utf8",
      env: { ...process.env, KUBECONFIG: this.kubeconfigPath },
    });
    if (result.error) throw result.error;
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs and fails the test with kubectl's own words when the command fails. */
  ok(args: string[], input?: string): string {
    const result = this.run(args, input);
    if (result.status !== 0) {
      throw new Error(`kubectl ${args.join(" ")} failed (${result.status}): ${result.stderr.trim()}`);
    }
    return result.stdout;
  }

  json<T = Record<string, unknown>>(args: string[]): T {
    return JSON.parse(this.ok([...args, "-o", "json"])) as T;
  }

  /** `kubectl auth can-i`: answered by the API server's own authorizer for this identity. */
  canI(verb: string, resource: string, namespace?: string): boolean {
    const args = ["auth", "can-i", verb, resource, ...(namespace ? ["-n", namespace] : [])];
    const result = this.run(args);
    const answer = result.stdout.trim();
    if (answer !== "yes" && answer !== "no") {
      throw new Error(`kubectl ${args.join(" ")} answered neither yes nor no: ${result.stderr.trim()}`);
    }
    return answer === "yes";
  }

  /** Creates an object from a manifest; the result carries the API server's refusal, if any. */
  create(manifest: object, namespace?: string): KubectlResult {
    return this.run(["create", ...(namespace ? ["-n", namespace] : []), "-f", "-"], JSON.stringify(manifest));
  }
}
