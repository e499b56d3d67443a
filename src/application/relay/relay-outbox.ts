import type { Clock } from '../intake/ports';
import {
  type ClaimedBatch,
  type DeliveryFailure,
  isBrokerOutage,
  type MessagePublisher,
  type OutboxRelayStore,
  type OutboxWakeUp,
  type PublishFailureReason,
  type PublishOutcome,
  type RelayObserver,
} from './ports';
import { abortableSleep } from '../abortable-sleep';
import { retryDelayMs } from '../backoff';

export interface RelaySettings {
  /** Rows claimed (and published) per batch. */
  readonly batchSize: number;
  /**
   * Batches in flight at once: while one waits for its confirms the next is claimed and
   * published, so the broker always has a window of up to batchSize × this many publishes.
   */
  readonly maxInFlightBatches: number;
  /** How long an idle relay waits for a wake-up before it looks again anyway. */
  readonly idlePollMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/**
 * Relays the outbox to the broker: claims due rows in batches, publishes them with confirms,
 * and records each row delivered only on the broker's ack for a routed message. Everything
 * else leaves the row pending with a later next attempt; nothing here ever parks a row (only
 * an operator does — see docs/relay.md).
 *
 * Per-entity order is the store's claim rule (a row is claimable only as the oldest undelivered
 * row of its entity, and a claimed row stays undelivered until its claim settles after the
 * confirm), so this loop may run any number of batches, in any number of processes, at once.
 */
export class RelayOutbox {
  private outageStreak = 0;
  private storeFailureStreak = 0;

  constructor(
    private readonly store: OutboxRelayStore,
    private readonly publisher: MessagePublisher,
    private readonly wakeUp: OutboxWakeUp,
    private readonly clock: Clock,
    private readonly observer: RelayObserver,
    private readonly settings: RelaySettings,
    private readonly random: () => number = Math.random,
  ) {}

  /** Runs until `signal` aborts, then lets the batches in flight finish and resolves. */
  async execute(signal: AbortSignal): Promise<void> {
    // A batch counts against `maxInFlightBatches` while its publishes await confirms, so the broker
    // sees the full window of batchSize × maxInFlightBatches unconfirmed publishes, as a plain
    // confirm-channel publisher with that window would; recording the outcomes and committing
    // runs beside the next batches. Claims still open (publishing or settling) are capped at
    // twice the window's batches, which bounds the database connections the relay holds.
    const publishing = new Set<Promise<void>>();
    const open = new Set<Promise<void>>();
    const maxOpen = 2 * this.settings.maxInFlightBatches;
    while (!signal.aborted) {
      if (!(await this.publisher.ready(signal))) break;
      if (publishing.size >= this.settings.maxInFlightBatches) {
        await Promise.race(publishing);
        continue;
      }
      if (open.size >= maxOpen) {
        await Promise.race(open);
        continue;
      }
      const batch = await this.claim(signal);
      if (batch === undefined) continue;
      if (signal.aborted) {
        await this.release(batch);
        break;
      }
      if (batch.messages.length > 0) {
        this.observer.batchClaimed(batch.messages.length);
        const { confirmed, settled } = this.relay(batch);
        const confirming: Promise<void> = confirmed.then(() => void publishing.delete(confirming));
        const settling: Promise<void> = settled.then(() => void open.delete(settling));
        publishing.add(confirming);
        open.add(settling);
      }
      if (batch.messages.length < this.settings.batchSize) {
        // No backlog beyond this batch: wait for new rows, or for a batch to settle and so make
        // the next rows of its entities eligible.
        await this.waitForWork(open, signal);
      }
    }
    await Promise.all(open);
  }

  private async claim(signal: AbortSignal): Promise<ClaimedBatch | undefined> {
    try {
      const batch = await this.store.claim(this.settings.batchSize);
      this.storeFailureStreak = 0;
      return batch;
    } catch (error) {
      const delay = this.delay(this.storeFailureStreak++);
      this.observer.storeFailed('claim', error, delay);
      await abortableSleep(delay, signal);
      return undefined;
    }
  }

  private async waitForWork(inFlight: ReadonlySet<Promise<void>>, signal: AbortSignal): Promise<void> {
    const done = new AbortController();
    try {
      await Promise.race([
        this.wakeUp.wait(this.settings.idlePollMs, AbortSignal.any([signal, done.signal])),
        ...inFlight,
      ]);
    } finally {
      done.abort();
    }
  }

  /**
   * Publishes the batch and records the outcomes. `confirmed` resolves once every message has an
   * outcome from the broker, `settled` once the claim has ended; neither rejects.
   */
  private relay(batch: ClaimedBatch): { confirmed: Promise<void>; settled: Promise<void> } {
    const started = this.clock.now().getTime();
    const outcomes = this.publisher.publish(batch.messages);
    const confirmed = outcomes.then(
      () => undefined,
      () => undefined,
    );
    const settled = outcomes
      .then(
        (results) => results,
        (): PublishOutcome[] => [],
      )
      .then((results) => this.settle(batch, results, started));
    return { confirmed, settled };
  }

  private async settle(
    batch: ClaimedBatch,
    outcomes: readonly PublishOutcome[],
    started: number,
  ): Promise<void> {
    const now = this.clock.now();
    this.observer.confirmLatency(now.getTime() - started);

    const delivered: string[] = [];
    const failed: DeliveryFailure[] = [];
    const failures = new Map<PublishFailureReason, { count: number; detail: string }>();
    let outage = false;
    batch.messages.forEach((message, i) => {
      const outcome = outcomes[i] ?? {
        ok: false as const,
        reason: 'connection' as const,
        detail: 'the publisher gave no outcome',
      };
      if (outcome.ok) {
        delivered.push(message.seq);
        return;
      }
      const brokerOutage = isBrokerOutage(outcome.reason);
      outage ||= brokerOutage;
      const n = brokerOutage ? this.outageStreak : message.attempts;
      failed.push({
        seq: message.seq,
        reason: outcome.reason,
        detail: outcome.detail,
        nextAttemptAt: new Date(now.getTime() + this.delay(n)),
        countsAsAttempt: !brokerOutage,
      });
      const seen = failures.get(outcome.reason);
      failures.set(outcome.reason, { count: (seen?.count ?? 0) + 1, detail: seen?.detail ?? outcome.detail });
    });
    if (outage) this.outageStreak++;
    else if (delivered.length > 0) this.outageStreak = 0;

    try {
      await batch.settle(delivered, failed);
    } catch (error) {
      // The claim ends with the session; the rows stay pending and go out again under the same
      // messageId (at-least-once).
      this.observer.storeFailed('settle', error, 0);
      return;
    }
    if (delivered.length > 0) this.observer.delivered(delivered.length);
    for (const [reason, { count, detail }] of failures) this.observer.publishFailed(reason, count, detail);
  }

  private async release(batch: ClaimedBatch): Promise<void> {
    try {
      await batch.release();
    } catch (error) {
      this.observer.storeFailed('release', error, 0);
    }
  }

  private delay(n: number): number {
    return retryDelayMs(n, this.settings.retryBaseMs, this.settings.retryMaxMs, this.random);
  }
}
