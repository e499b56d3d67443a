import { Gauge, type Registry } from 'prom-client';

/**
 * Gauges the alert rules (deploy/prometheus/alerts.yaml) need beyond GatewayMetrics: whether each
 * dependency is ready, and whether payload redaction keeps up with retention. Each reads its
 * source on scrape, so a stuck process cannot report a stale "ready".
 */

/** `wsb_dependency_ready{dependency}`: 1 when the readiness check passes on this scrape, else 0. */
export function registerReadinessGauge(
  registry: Registry,
  check: () => Promise<Readonly<Record<string, boolean>>>,
): void {
  if (registry.getSingleMetric('wsb_dependency_ready') !== undefined) return;
  new Gauge({
    name: 'wsb_dependency_ready',
    help: 'Whether a dependency this process needs (database, broker) passed its readiness check on this scrape: 1 ready, 0 not.',
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      const outcomes = await check();
      this.reset();
      for (const [dependency, ready] of Object.entries(outcomes)) this.set({ dependency }, ready ? 1 : 0);
    },
  });
}

/**
 * `wsb_outbox_oldest_unredacted_delivered_age_seconds` and `wsb_payload_retention_seconds`: when the
 * first exceeds the second by more than a sweep or two, redaction is falling behind retention and
 * personal data is kept longer than the gateway promises.
 */
export function registerRedactionGauges(
  registry: Registry,
  options: {
    readonly retentionDays: number;
    /** Seconds since the oldest delivered row still carrying a payload was delivered; null when none. */
    readonly oldestUnredactedAgeSeconds: () => Promise<number | null>;
    readonly onCollectError?: (error: unknown) => void;
  },
): void {
  new Gauge({
    name: 'wsb_payload_retention_seconds',
    help: 'PAYLOAD_RETENTION_DAYS in seconds: how long a delivered payload is kept before redaction.',
    registers: [registry],
  }).set(options.retentionDays * 86_400);
  new Gauge({
    name: 'wsb_outbox_oldest_unredacted_delivered_age_seconds',
    help: 'Seconds since the oldest delivered row that still carries its payload was delivered; 0 when none.',
    registers: [registry],
    async collect() {
      this.reset();
      try {
        this.set((await options.oldestUnredactedAgeSeconds()) ?? 0);
      } catch (error) {
        options.onCollectError?.(error);
      }
    },
  });
}
