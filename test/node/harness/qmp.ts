import * as net from "node:net";

/**
 * A client of QEMU's machine protocol (QMP) on a unix socket: the tier's "Hetzner API" for what Hetzner
 * does to a running server, attaching, growing and detaching volumes. One command at a time.
 */
export class Qmp {
  private buffer = "";
  private waiting: ((message: Record<string, unknown>) => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let newline;
      while ((newline = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, newline).trim();
        this.buffer = this.buffer.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line) as Record<string, unknown>;
        // Events (DEVICE_DELETED, RESET, ...) arrive between replies; only replies answer a command.
        if ("event" in message) continue;
        this.waiting.shift()?.(message);
      }
    });
  }

  static async connect(socketPath: string): Promise<Qmp> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(socketPath, () => resolve(s));
      s.once("error", reject);
    });
    const qmp = new Qmp(socket);
    await qmp.next(); // the greeting
    await qmp.execute("qmp_capabilities");
    return qmp;
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.next();
    this.socket.write(JSON.stringify({ execute: command, ...(args && { arguments: args }) }) + "\n");
    const message = await reply;
    if (message.error) throw new Error(`QMP ${command}: ${JSON.stringify(message.error)}`);
    return message.return;
  }

  close(): void {
    this.socket.destroy();
  }
}
