import type { ConfigProblem } from "./errors";
import type { StackConfig } from "./schema";

/**
 * Rules for the logging add-on (model/platform/logging.ts).
 *
 * logRetention becomes Loki's limits_config.retention_period, a Prometheus-style duration (Loki 3.6:
 * model.Duration, which reads ms, s, m, h, d, w and y). Loki's retention documentation (tag v3.6.12,
 * docs/sources/operations/storage/retention.md) gives 24h as the least retention, applied by the
 * compactor on its 24h index periods, so only whole hours, days or weeks of at least 24h are taken here:
 * a shorter value would be refused by Loki at start, which would stop the whole log store.
 */
const LOG_RETENTION = /^([1-9]\d*)(h|d|w)$/;
const HOURS_PER_UNIT: Record<string, number> = { h: 1, d: 24, w: 168 };
export const MIN_LOG_RETENTION_HOURS = 24;

/** The retention in hours, or undefined when it is not a duration this program accepts. */
export function logRetentionHours(retention: string): number | undefined {
  const match = LOG_RETENTION.exec(retention);
  if (!match) return undefined;
  return Number(match[1]) * HOURS_PER_UNIT[match[2]];
}

export function checkLoggingConfig(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const hours = logRetentionHours(config.logRetention);
  if (hours === undefined) {
    problems.push({
      path: ["logRetention"],
      message: `"${config.logRetention}" is not a duration of whole hours, days or weeks (e.g. 168h, 7d, 2w)`,
    });
  } else if (hours < MIN_LOG_RETENTION_HOURS) {
    problems.push({
      path: ["logRetention"],
      message: `"${config.logRetention}" is shorter than Loki's least retention of 24h`,
    });
  }
  return problems;
}
