import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxStatus, RedactionObserver, RedactionReason } from '../../application/operations/ports';

export type PublishFailureReason = 'nack' | 'unroutable' | 'timeout' | 'connection';

/** Undelivered rows by status, read on every scrape. */
export type UndeliveredSummary = ReadonlyArray<{
  readonly status: OutboxStatus;
  readonly count: number;
  readonly oldestAgeSeconds: number | null;
}>;

export interface GatewayMetricsOptions {
  /** Reads the outbox's undelivered rows on scrape; omitted, the outbox gauges are not exported. */
  readonly undelivered?: () => Promise<UndeliveredSummary>;
  /** Told when the outbox read fails during a scrape (the gauges then carry no samples). */
  readonly onCollectError?: (error: unknown) => void;
  /** Adds Node's process metrics (CPU, memory, event loop lag) with the `wsb_` prefix. */
  readonly processMetrics?: boolean;
}

const UNDELIVERED: readonly OutboxStatus[] = ['pending', 'parked'];

/**
 * Every metric the gateway exports, in a registry of its own (never prom-client's global one, so
 * tests and several components in one process do not collide). Labels never carry personal data:
 * `route` is a route template, `reason` and `status` come from fixed sets.
 */
export class GatewayMetrics implements RedactionObserver {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'route' | 'status'>;
  private readonly httpDuration: Histogram<'route'>;
  private readonly deliveredTotal: Counter;
  private readonly publishFailures: Counter<'reason'>;
  private readonly confirmLatencySeconds: Histogram;
  private readonly relayBatchSize: Histogram;
  private readonly intakeBatchSize: Histogram;
  private readonly intakeCommitsInDoubt: Counter<'outcome'>;
  private readonly intakeBatchSplits: Counter;
  private readonly redactions: Counter<'reason'>;

  constructor(options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'wsb_http_requests_total',
      help: 'Finished requests on the public intake, by route template and HTTP status.',
      labelNames: ['route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'wsb_http_request_duration_seconds',
      help: 'Time from request start to response, by route template.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.deliveredTotal = new Counter({
      name: 'wsb_outbox_delivered_total',
      help: 'Outbox rows marked delivered after a broker confirm (by this process).',
      registers,
    });
    this.publishFailures = new Counter({
      name: 'wsb_relay_publish_failures_total',
      help: 'Publishes that did not end in a routed, confirmed message: nack, unroutable, timeout, connection.',
      labelNames: ['reason'],
      registers,
    });
    this.confirmLatencySeconds = new Histogram({
      name: 'wsb_relay_confirm_latency_seconds',
      help: 'Time from publish to the broker confirm.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.relayBatchSize = new Histogram({
      name: 'wsb_relay_batch_size',
      help: 'Rows claimed per relay batch.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers,
    });
    this.intakeBatchSize = new Histogram({
      name: 'wsb_intake_batch_size',
      help: 'Requests committed per intake (group-commit) transaction.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
      registers,
    });
    this.intakeCommitsInDoubt = new Counter({
      name: 'wsb_intake_commits_in_doubt_total',
      help: 'Intake batches whose COMMIT answer was lost with the connection, by what the look on a fresh connection found: stored (answered 200), absent or unknown (answered 503).',
      labelNames: ['outcome'],
      registers,
    });
    this.intakeBatchSplits = new Counter({
      name: 'wsb_intake_batch_splits_total',
      help: 'Intake batches the database refused for a reason other than its own state, split in two to find the request that caused it.',
      registers,
    });
    this.redactions = new Counter({
      name: 'wsb_redactions_total',
      help: 'Payloads redacted, by reason: retention (age after delivery) or gdpr (GDPR notification).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['nack', 'unroutable', 'timeout', 'connection'] as const) {
      this.publishFailures.inc({ reason }, 0);
    }
    for (const reason of ['retention', 'gdpr'] as const) this.redactions.inc({ reason }, 0);
    // Every outcome from the first scrape, so that alert rules' increase() sees the first one.
    for (const outcome of ['stored', 'absent', 'unknown'] as const)
      this.intakeCommitsInDoubt.inc({ outcome }, 0);

    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'wsb_' });

    const read = options.undelivered;
    if (read !== undefined) {
      let scrape: Promise<UndeliveredSummary | undefined> | undefined;
      // Both gauges share one query per scrape.
      const summary = (): Promise<UndeliveredSummary | undefined> => {
        scrape ??= read()
          .catch((error: unknown) => {
            options.onCollectError?.(error);
            return undefined;
          })
          .finally(() => setImmediate(() => (scrape = undefined)));
        return scrape;
      };
      new Gauge({
        name: 'wsb_outbox_pending',
        help: 'Undelivered outbox rows, by status (pending, parked).',
        labelNames: ['status'],
        registers,
        async collect() {
          this.reset();
          const rows = await summary();
          if (rows === undefined) return;
          for (const status of UNDELIVERED) {
            this.set({ status }, rows.find((r) => r.status === status)?.count ?? 0);
          }
        },
      });
      new Gauge({
        name: 'wsb_outbox_oldest_pending_age_seconds',
        help: 'Seconds since the oldest undelivered row was received, by status (pending, parked); 0 when none.',
        labelNames: ['status'],
        registers,
        async collect() {
          this.reset();
          const rows = await summary();
          if (rows === undefined) return;
          for (const status of UNDELIVERED) {
            this.set({ status }, rows.find((r) => r.status === status)?.oldestAgeSeconds ?? 0);
          }
        },
      });
    }
  }

  readonly httpRequestFinished = (route: string, status: number, durationSeconds: number): void => {
    this.httpRequests.inc({ route, status: String(status) });
    this.httpDuration.observe({ route }, durationSeconds);
  };

  readonly published = (count: number): void => {
    if (count > 0) this.deliveredTotal.inc(count);
  };

  readonly publishFailed = (reason: PublishFailureReason, count = 1): void => {
    this.publishFailures.inc({ reason }, count);
  };

  readonly confirmLatency = (seconds: number): void => {
    this.confirmLatencySeconds.observe(seconds);
  };

  readonly relayBatch = (size: number): void => {
    this.relayBatchSize.observe(size);
  };

  readonly intakeBatch = (size: number): void => {
    this.intakeBatchSize.observe(size);
  };

  readonly intakeCommitInDoubt = (outcome: 'stored' | 'absent' | 'unknown'): void => {
    this.intakeCommitsInDoubt.inc({ outcome });
  };

  readonly intakeBatchSplit = (): void => {
    this.intakeBatchSplits.inc();
  };

  readonly redacted = (reason: RedactionReason, count: number): void => {
    if (count > 0) this.redactions.inc({ reason }, count);
  };

  contentType(): string {
    return this.registry.contentType;
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
