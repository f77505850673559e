/** Objects a tenant would create, shaped to pass Pod Security "restricted" unless told otherwise. */

export interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export function pod(
  name: string,
  namespace: string,
  resources?: Resources,
  security: { runAsNonRoot?: boolean; privileged?: boolean } = {},
  priorityClassName?: string,
): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: {
      ...(priorityClassName && { priorityClassName }),
      securityContext: {
        runAsNonRoot: security.runAsNonRoot ?? true,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: "app",
          image: "registry.invalid/app:1",
          ...(resources && { resources }),
          securityContext: {
            allowPrivilegeEscalation: security.privileged ?? false,
            capabilities: { drop: ["ALL"] },
            ...(security.privileged && { privileged: true }),
          },
        },
      ],
    },
  };
}

export function service(name: string, namespace: string, type: string, ports: number[]): object {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: {
      type,
      selector: { app: name },
      ports: ports.map((port) => ({ name: `p${port}`, port, targetPort: port })),
    },
  };
}

/** Polls until the condition holds: controllers (quota status, tokens, namespace deletion) are asynchronous. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
