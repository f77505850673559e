import { Command } from "commander";
import * as path from "node:path";
import { chooseKubeconfigSource } from "./kube/kubeconfig";
import { startConsoleServer } from "./server";

/** `npm run console -- --stack dev [--port 7700] [--host 127.0.0.1] [--kubeconfig file]` */

interface ConsoleCliOptions {
  stack: string;
  port: string;
  host: string;
  kubeconfig?: string;
}

export async function runConsoleCommand(argv: string[], projectDir: string): Promise<void> {
  const program = new Command()
    .name("console")
    .description(
      "Local web console over Pulumi.<stack>.yaml: overview, servers, tenants, changes and live status.",
    )
    .option("-s, --stack <name>", "stack whose Pulumi.<name>.yaml to manage", "dev")
    .option("-p, --port <port>", "port to listen on", "7700")
    .option("--host <address>", "address to bind (keep it local: the console edits your stack)", "127.0.0.1")
    .option("--kubeconfig <file>", "kubeconfig of the cluster for the live view (default: $KUBECONFIG)");
  program.parse(argv, { from: "user" });
  const options = program.opts<ConsoleCliOptions>();
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port number: ${options.port}`);
  const server = await startConsoleServer({
    stack: options.stack,
    projectDir,
    host: options.host,
    port,
    kubeconfig: chooseKubeconfigSource(options.kubeconfig, process.env.KUBECONFIG, options.stack, projectDir),
  });
  process.stdout.write(`hetzner-k8s console for stack "${options.stack}": ${server.url}/\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) {
  runConsoleCommand(process.argv.slice(2), path.resolve(__dirname, "../..")).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
