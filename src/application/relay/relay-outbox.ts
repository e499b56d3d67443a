// Over 330 lines: the claim loop, its wake-up rule, the chains and the settle are one state machine;
// the ordering argument (docs/relay.md) reads across all of it, so it stays in one file.
import type { Clock } from '../clock';
import {
  type BatchTimeline,
  type ClaimedBatch,
  type DeliveryFailure,
  type FailedMessage,
  isBrokerOutage,
  type MessagePublisher,
  type OutboxRelayStore,
  type OutboxWakeUp,
  type PublishFailureReason,
  type PublishOutcome,
  type RelayMessage,
  type RelayObserver,
  type RelayTimeline,
} from './ports';
import { abortableSleep } from '../abortable-sleep';
import { retryDelayMs } from '../backoff';

export interface RelaySettings {
  /** Entities claimed per batch (each with its oldest undelivered row, and maybe a chain). */
  readonly batchSize: number;
  /**
   * Rows of one entity a claim may hold and publish one after another, each as soon as the
   * previous one is confirmed (1 = one message per entity per claim).
   */
  readonly chainLength?: number;
  /** Rows per claim in all, chains included. */
  readonly claimMaxRows?: number;
  /**
   * Batches in flight at once: while one waits for its confirms the next is claimed and
   * published, so the broker always has a window of up to batchSize × this many publishes.
   */
  readonly inFlightBatches: number;
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
    /** Records each batch's timeline for the latency budget (LATENCY_TRACE_FILE); usually none. */
    private readonly timeline?: RelayTimeline,
  ) {}

  /** Runs until `signal` aborts, then lets the batches in flight finish and resolves. */
  async execute(signal: AbortSignal): Promise<void> {
    // A batch counts against `inFlightBatches` while its publishes await confirms, so the broker
    // sees the full window of batchSize × inFlightBatches unconfirmed publishes, as a plain
    // confirm-channel publisher with that window would; recording the outcomes and committing
    // runs beside the next batches. Claims still open (publishing or settling) are capped at
    // twice the window's batches, which bounds the database connections the relay holds.
    const publishing = new Set<Promise<void>>();
    const open = new Set<Promise<void>>();
    // Per batch in flight, a promise that resolves once it has settled without delivering every
    // message (and never otherwise): what a wait races when no due row was left waiting.
    const undelivered = new Set<Promise<void>>();
    // Settles so far (see waitForWork).
    let settles = 0;
    const maxOpen = 2 * this.settings.inFlightBatches;
    let woke: Woke | undefined;
    while (!signal.aborted) {
      if (!(await this.publisher.ready(signal))) break;
      if (publishing.size >= this.settings.inFlightBatches) {
        await Promise.race(publishing);
        continue;
      }
      if (open.size >= maxOpen) {
        await Promise.race(open);
        continue;
      }
      const claimStartedAt = this.timeline?.now();
      const settlesAtClaim = settles;
      const batch = await this.claim(signal);
      if (batch === undefined) continue;
      const claim: ClaimTimes | undefined =
        claimStartedAt === undefined || this.timeline === undefined
          ? undefined
          : {
              wokeAt: woke?.at ?? claimStartedAt,
              wokenBy: woke?.by ?? 'busy',
              claimStartedAt,
              claimedAt: this.timeline.now(),
            };
      woke = undefined;
      if (signal.aborted) {
        await this.release(batch);
        break;
      }
      if (batch.messages.length > 0) {
        this.observer.batchClaimed(batch.messages.length);
        const { confirmed, settled } = this.relay(batch, claim);
        const confirming: Promise<void> = confirmed.then(() => void publishing.delete(confirming));
        const settling: Promise<void> = settled.then(() => {
          settles++;
          open.delete(settling);
        });
        const failing: Promise<void> = settled.then(async (everyMessageDelivered) => {
          undelivered.delete(failing);
          if (everyMessageDelivered) await new Promise<never>(() => undefined);
        });
        publishing.add(confirming);
        open.add(settling);
        undelivered.add(failing);
      }
      if (new Set(batch.messages.map((m) => m.eksternIdentifier)).size < this.settings.batchSize) {
        // No backlog beyond this batch: wait for new rows, or for a settle that may have made rows
        // eligible (waitForWork). Rows this claim left may have been unblocked by a settle while it
        // ran: then look again at once.
        if (batch.dueRowsLeft && settles > settlesAtClaim) continue;
        const by = await this.waitForWork(batch.dueRowsLeft ? open : undelivered, signal);
        woke = this.timeline === undefined ? undefined : { at: this.timeline.now(), by };
      }
    }
    await Promise.all(open);
  }

  private async claim(signal: AbortSignal): Promise<ClaimedBatch | undefined> {
    try {
      const chainLength = this.settings.chainLength ?? 1;
      const batch = await this.store.claim(
        this.settings.batchSize,
        chainLength > 1
          ? {
              perEntity: chainLength,
              rows: this.settings.claimMaxRows ?? this.settings.batchSize * chainLength,
            }
          : undefined,
      );
      this.storeFailureStreak = 0;
      return batch;
    } catch (error) {
      const delay = this.delay(this.storeFailureStreak++);
      this.observer.storeFailed('claim', error, delay);
      await abortableSleep(delay, signal);
      return undefined;
    }
  }

  /**
   * Waits for a wake-up (a NOTIFY, the poll's timeout) or for one of `settles` (those say nothing).
   *
   * Which settles are worth a claim: a settle makes an entity's next row eligible, and that row was
   * either visible to the last claim, which then says that it left due rows waiting (dueRowsLeft),
   * or it was committed after that claim looked, and then its notification is still to end a wait
   * (PgListenWakeUp keeps one that comes between waits). So when the last claim left none, only a
   * batch that did not deliver every message (a settle that failed, a chain cut short) calls for
   * a claim; at low rates every other claim used to be an empty one, right after a settle.
   */
  private async waitForWork(
    settles: ReadonlySet<Promise<void>>,
    signal: AbortSignal,
  ): Promise<'wake-up' | 'settle'> {
    const done = new AbortController();
    try {
      const woken = await Promise.race([
        this.wakeUp
          .wait(this.settings.idlePollMs, AbortSignal.any([signal, done.signal]))
          .then(() => 'wake-up' as const),
        ...settles,
      ]);
      return woken ?? 'settle';
    } finally {
      // A reason of our own: abort() without one builds a DOMException, stack and all, every wait.
      done.abort(WAIT_OVER);
    }
  }

  /**
   * Publishes the batch and records the outcomes. `confirmed` resolves once every message that was
   * published has an outcome from the broker, `settled` once the claim has ended; neither rejects.
   *
   * Each entity's rows form a chain: its first row goes out at once, beside every other entity's
   * first row; each later row goes out only once the row before it is confirmed, on the same
   * channel, without a database round trip. The first row that is not confirmed (nack, return,
   * timeout, lost connection) ends its chain: the rows after it are not published and stay pending,
   * unchanged, when the claim ends, so no row of an entity is ever published before every earlier
   * one is confirmed.
   */
  private relay(
    batch: ClaimedBatch,
    claim: ClaimTimes | undefined,
  ): { confirmed: Promise<void>; settled: Promise<boolean> } {
    const started = this.clock.now().getTime();
    const timeline = this.timeline;
    const confirmedAt = new Map<string, number>();
    const publishedAt = timeline?.now() ?? 0;
    const chains = new Map<string, RelayMessage[]>();
    for (const message of batch.messages) {
      const chain = chains.get(message.eksternIdentifier);
      if (chain === undefined) chains.set(message.eksternIdentifier, [message]);
      else chain.push(message);
    }
    const outcomes = new Map<string, PublishOutcome>();
    // Every chain's first row goes out in one publish call, as a batch without chains would; a
    // chain's later rows follow one by one, each once the row before it is confirmed.
    const heads = [...chains.values()].map((chain) => chain[0] as RelayMessage);
    const continueChain = async (chain: readonly RelayMessage[]): Promise<void> => {
      for (const message of chain.slice(1)) {
        const outcome = await this.publishOne(message);
        outcomes.set(message.seq, outcome);
        if (timeline !== undefined) confirmedAt.set(message.messageId, timeline.now());
        if (!outcome.ok) return;
      }
    };
    const confirmed = this.publishHeads(heads)
      .then((results) => {
        heads.forEach((head, i) => outcomes.set(head.seq, results[i] ?? NO_OUTCOME));
        const at = timeline?.now();
        if (at !== undefined) for (const head of heads) confirmedAt.set(head.messageId, at);
        return Promise.all(
          [...chains.values()].map((chain) =>
            outcomes.get((chain[0] as RelayMessage).seq)?.ok === true ? continueChain(chain) : undefined,
          ),
        );
      })
      .then(() => undefined);
    let settled = confirmed.then(() => this.settle(batch, outcomes, started));
    if (timeline !== undefined && claim !== undefined) {
      settled = settled.then((everyMessageDelivered) => {
        timeline.batch({
          ...claim,
          publishedAt,
          messages: [...confirmedAt].map(([messageId, at]) => ({ messageId, confirmedAt: at })),
          settledAt: timeline.now(),
        });
        return everyMessageDelivered;
      });
    }
    return { confirmed, settled };
  }

  private async publishOne(message: RelayMessage): Promise<PublishOutcome> {
    const [outcome] = await this.publishHeads([message]);
    return outcome ?? NO_OUTCOME;
  }

  /** Publishes the messages in one call; resolves with one outcome per message, never rejects. */
  private async publishHeads(messages: readonly RelayMessage[]): Promise<readonly PublishOutcome[]> {
    try {
      return await this.publisher.publish(messages);
    } catch (error) {
      const outcome: PublishOutcome = {
        ok: false,
        reason: 'connection',
        detail: error instanceof Error ? error.message : String(error),
      };
      return messages.map(() => outcome);
    }
  }

  /** Records the outcomes and ends the claim; says whether every message was recorded delivered. */
  private async settle(
    batch: ClaimedBatch,
    outcomes: ReadonlyMap<string, PublishOutcome>,
    started: number,
  ): Promise<boolean> {
    const now = this.clock.now();
    this.observer.confirmLatency(now.getTime() - started);

    const delivered: string[] = [];
    const failed: DeliveryFailure[] = [];
    const failures = new Map<PublishFailureReason, { detail: string; messages: FailedMessage[] }>();
    let outage = false;
    for (const message of batch.messages) {
      // No outcome: a row behind its chain's failure, never published; it stays as it was.
      const outcome = outcomes.get(message.seq);
      if (outcome === undefined) continue;
      if (outcome.ok) {
        delivered.push(message.seq);
        continue;
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
      const seen = failures.get(outcome.reason) ?? { detail: outcome.detail, messages: [] };
      seen.messages.push({
        messageId: message.messageId,
        eksternIdentifier: message.eksternIdentifier,
        attempts: message.attempts,
      });
      failures.set(outcome.reason, seen);
    }
    if (outage) this.outageStreak++;
    else if (delivered.length > 0) this.outageStreak = 0;

    try {
      await batch.settle(delivered, failed);
    } catch (error) {
      // The claim ends with the session; the rows stay pending and go out again under the same
      // messageId (at-least-once).
      this.observer.storeFailed('settle', error, 0);
      return false;
    }
    if (delivered.length > 0) this.observer.delivered(delivered.length);
    for (const [reason, { detail, messages }] of failures) {
      this.observer.publishFailed(reason, messages.length, detail, messages);
    }
    return delivered.length === batch.messages.length;
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

/** Ends a wait's own abort signal once the wait is over (see waitForWork). */
const WAIT_OVER = new Error('the wait is over');

interface Woke {
  readonly at: number;
  readonly by: 'wake-up' | 'settle';
}

type ClaimTimes = Pick<BatchTimeline, 'wokeAt' | 'wokenBy' | 'claimStartedAt' | 'claimedAt'>;

const NO_OUTCOME: PublishOutcome = {
  ok: false,
  reason: 'connection',
  detail: 'the publisher gave no outcome',
};
