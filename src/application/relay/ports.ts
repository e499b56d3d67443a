import type { Aendringstype, MessageKind } from '../../domain/notification';

/** One outbox row as the relay publishes it. */
export interface RelayMessage {
  /** The row's place in acceptance order (a bigint, kept as text). */
  readonly seq: string;
  readonly messageId: string;
  readonly requestId: string;
  readonly kind: MessageKind;
  readonly eksternIdentifier: string;
  readonly jobCenterKode: string;
  readonly aendringstype: Aendringstype;
  readonly receivedAt: Date;
  readonly exchange: string;
  readonly routingKey: string;
  /**
   * The accepted request body as UTF-8 JSON, published as is. Bytes rather than a string: a claim
   * holds its messages until it settles, and a ~1 KB string per message held that long is what the
   * garbage collector copies and promotes; a buffer's bytes live outside the JavaScript heap.
   */
  readonly body: Uint8Array;
  /** Earlier publish attempts the broker answered with a nack or a return. */
  readonly attempts: number;
  /** W3C trace context stored with the row, published as the `traceparent`/`tracestate` headers. */
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/**
 * Why a publish did not end in a confirm for a routed message. `nack` and `unroutable` are the
 * broker's verdict on this message; the others mean the broker could not be asked (an outage).
 */
export type PublishFailureReason = 'nack' | 'unroutable' | 'timeout' | 'connection' | 'blocked';

export type PublishOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: PublishFailureReason; readonly detail: string };

export function isBrokerOutage(reason: PublishFailureReason): boolean {
  return reason === 'timeout' || reason === 'connection' || reason === 'blocked';
}

/**
 * Publishes to the broker with publisher confirms. `publish` sends the messages in the order given
 * and resolves with one outcome per message, once each has been confirmed, refused or given up on;
 * it never rejects.
 */
export interface MessagePublisher {
  /**
   * Resolves true once the publisher is connected, its topology declared and the broker not
   * blocking publishers; false if `signal` aborts first.
   */
  ready(signal: AbortSignal): Promise<boolean>;
  publish(messages: readonly RelayMessage[]): Promise<PublishOutcome[]>;
}

export interface DeliveryFailure {
  readonly seq: string;
  readonly reason: PublishFailureReason;
  readonly detail: string;
  readonly nextAttemptAt: Date;
  /** False for broker outages: they never use up a message's attempts. */
  readonly countsAsAttempt: boolean;
}

/**
 * Rows claimed by one relay: no other relay can claim them, nor any later row of their entities,
 * until the claim ends with `settle` or `release` (or the relay's database session dies).
 */
export interface ClaimedBatch {
  readonly messages: readonly RelayMessage[];
  /**
   * Whether due rows were left waiting when the claim was made: rows behind this claim's (an
   * entity's later rows), locked by other claims, or beyond what the claim looked at. False only
   * when the store saw every due row that no other claim of its own held and took them all. The
   * relay claims again on a settle only after a claim that left rows (RelayOutbox.waitForWork).
   */
  readonly dueRowsLeft: boolean;
  /** Records what happened to each message and ends the claim, atomically. */
  settle(delivered: readonly string[], failed: readonly DeliveryFailure[]): Promise<void>;
  /** Ends the claim without recording anything. */
  release(): Promise<void>;
}

/** How far a claim extends each entity beyond its oldest undelivered row. */
export interface ChainLimits {
  /** Rows of one entity per claim, its oldest undelivered row included (1 = that row only). */
  readonly perEntity: number;
  /** Rows per claim in all; each entity gets at least its oldest undelivered row. */
  readonly rows: number;
}

/** The outbox as the relay sees it. */
export interface OutboxRelayStore {
  /**
   * Claims the oldest undelivered row of up to `limit` entities (`ekstern_identifier`) whose
   * oldest undelivered row is pending and due, listed oldest first. When more than `limit` entities
   * are eligible, which ones a claim takes is the store's choice, but an entity left out is never
   * left out for ever: later claims reach it while it stays eligible. With `chain`, each entity's claim
   * goes on with its next undelivered rows, in seq order, as long as they are pending, due and
   * not held by another claim (at most `chain.perEntity` rows of one entity, and about
   * `chain.rows` in all). A claim so holds, per entity, a run of consecutive undelivered rows
   * starting at the oldest. `messages` lists each entity's rows together, in seq order.
   * Resolves with an empty batch when nothing is eligible.
   */
  claim(limit: number, chain?: ChainLimits): Promise<ClaimedBatch>;
}

/** Wakes the relay when new rows may be pending. */
export interface OutboxWakeUp {
  /** Resolves on a signal that rows were added, after `timeoutMs`, or when `signal` aborts. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void>;
}

/** A message whose publish failed, as logs name it: which message, of which entity. */
export interface FailedMessage {
  readonly messageId: string;
  readonly eksternIdentifier: string;
  /** Failed attempts before this one. */
  readonly attempts: number;
}

/**
 * What the relay reports, for logs and metrics. Implementations must be cheap and must not
 * throw; nothing passed here carries a payload.
 */
export interface RelayObserver {
  batchClaimed(size: number): void;
  delivered(count: number): void;
  /** `messages` names the `count` messages that failed for `reason` (ids only, never a payload). */
  publishFailed(
    reason: PublishFailureReason,
    count: number,
    detail: string,
    messages: readonly FailedMessage[],
  ): void;
  /** Milliseconds from publishing a batch to its last outcome. */
  confirmLatency(ms: number): void;
  storeFailed(operation: 'claim' | 'settle' | 'release', error: unknown, retryInMs: number): void;
}

/**
 * When each step of one batch happened (ms since the epoch, sub-millisecond): the latency budget's
 * record (LATENCY_TRACE_FILE). `confirmedAt` is per message: a chain's rows are confirmed one
 * after another.
 */
export interface BatchTimeline {
  /** When the wait before this claim ended, and what ended it (the loop did not wait: 'busy'). */
  readonly wokeAt: number;
  readonly wokenBy: 'wake-up' | 'settle' | 'busy';
  readonly claimStartedAt: number;
  readonly claimedAt: number;
  readonly publishedAt: number;
  readonly messages: ReadonlyArray<{ readonly messageId: string; readonly confirmedAt: number }>;
  readonly settledAt: number;
}

/** Takes the timestamps of the latency budget and records each batch's timeline. */
export interface RelayTimeline {
  now(): number;
  batch(timeline: BatchTimeline): void;
}

export const silentRelayObserver: RelayObserver = {
  batchClaimed: () => undefined,
  delivered: () => undefined,
  publishFailed: () => undefined,
  confirmLatency: () => undefined,
  storeFailed: () => undefined,
};
