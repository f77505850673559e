import { errorText, type KubeConnection } from "./client";
import { loadConnection, type KubeconfigSource } from "./kubeconfig";
import { readLiveStatus, type LiveStatus } from "./liveStatus";

/** Polls the cluster every `intervalMs` in the background; the page reads the latest status. */
export class LivePoller {
  private status: LiveStatus = {
    connected: false,
    reason: "checking the cluster…",
    checkedAt: new Date().toISOString(),
  };
  private timer: NodeJS.Timeout | undefined;
  private connection: Promise<KubeConnection> | undefined;
  private stopped = false;

  constructor(
    private readonly source: KubeconfigSource,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  latest(): LiveStatus {
    return this.status;
  }

  private async tick(): Promise<void> {
    this.status = await this.poll();
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  private async poll(): Promise<LiveStatus> {
    const checkedAt = new Date().toISOString();
    if (this.source.kind === "none") return { connected: false, reason: this.source.reason, checkedAt };
    this.connection ??= loadConnection(this.source);
    let connection: KubeConnection;
    try {
      connection = await this.connection;
    } catch (error) {
      // Try again next time: the file (or the stack output) may appear later.
      this.connection = undefined;
      return { connected: false, reason: errorText(error), checkedAt };
    }
    return readLiveStatus(connection);
  }
}
