/**
 * Ports for operating the outbox: reading its state, the operator's replay and park, and payload
 * redaction. Kept apart from ports.ts so that intake's unit of work stays as small as it is.
 */

export type OutboxStatus = 'pending' | 'delivered' | 'parked';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'parked'];

/** A row's metadata: everything but the payload. */
export interface OutboxEntry {
  readonly seq: string;
  readonly messageId: string;
  readonly requestId: string;
  readonly kind: string;
  readonly eksternIdentifier: string;
  readonly jobCenterKode: string;
  readonly registreringsDato: Date;
  readonly aendringstype: string;
  readonly clientId: string;
  readonly clientCertSubject: string | null;
  readonly receivedAt: Date;
  readonly exchange: string;
  readonly routingKey: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  /** When the relay may try it next; null once delivered. */
  readonly nextAttemptAt: Date | null;
  readonly deliveredAt: Date | null;
  readonly redactedAt: Date | null;
}

export interface OutboxStatistics {
  readonly countByStatus: Readonly<Record<OutboxStatus, number>>;
  /** Seconds since the oldest pending row was received; null when nothing is pending. */
  readonly oldestPendingAgeSeconds: number | null;
  readonly oldestParkedAgeSeconds: number | null;
  /** Entities whose oldest undelivered row is parked or has failed at least once. */
  readonly blockedEntities: number;
  /** Delivered GDPR notifications still holding their payload: earlier messages they erase are undelivered. */
  readonly gdprErasuresWaiting: number;
}

/** Reads for operators; no transaction needed. */
export interface OutboxReadModel {
  statistics(): Promise<OutboxStatistics>;
  /** Rows whose message id or request id is `id` (a request id may look like a uuid). */
  find(id: string): Promise<OutboxEntry[]>;
  payloadOf(messageId: string): Promise<Readonly<Record<string, unknown>> | null>;
}

/** The outbox as the operator changes it, bound to one transaction. Reads lock what they return. */
export interface OperatorOutbox {
  lock(messageId: string): Promise<OutboxEntry | undefined>;
  lockAllParked(): Promise<OutboxEntry[]>;
  /** Back to pending, attempts 0, due now. */
  replay(messageIds: readonly string[]): Promise<void>;
  park(messageId: string): Promise<void>;
}

export type OperatorActionKind = 'replay' | 'park' | 'redact';

export interface OperatorAction {
  readonly action: OperatorActionKind;
  /** Null for a bulk action; its ids are in `details`. */
  readonly messageId: string | null;
  readonly requestId: string | null;
  readonly actor: string;
  readonly reason: string;
  readonly dryRun: boolean;
  /** Ids, counts and previous states only: never a payload value. */
  readonly details: Readonly<Record<string, string | number | boolean | null | readonly unknown[]>>;
}

export interface OperatorActionLog {
  record(action: OperatorAction): Promise<void>;
}

export interface OperatorRepositories {
  readonly outbox: OperatorOutbox;
  readonly actions: OperatorActionLog;
}

/** One transaction per `run`: an operator's change and its action record commit together. */
export interface OperatorUnitOfWork {
  run<T>(work: (repositories: OperatorRepositories) => Promise<T>): Promise<T>;
}

/**
 * Payload redaction. Every write method redacts at most `limit` rows in one short transaction and
 * returns how many it redacted, so a sweep never holds many row locks for long.
 */
export interface PayloadRedactionStore {
  /** Ordningsnotifikation rows delivered before `deliveredBefore` that still hold a payload. */
  redactExpired(deliveredBefore: Date, limit: number): Promise<number>;
  countExpired(deliveredBefore: Date): Promise<number>;
  /** Delivered GdprSlettetNotifikation rows still holding their payload, oldest first. */
  deliveredErasures(): Promise<string[]>;
  /** Earlier delivered Ordningsnotifikation rows the erasure names (entity or CPR number). */
  redactErasureTargets(erasureMessageId: string, limit: number): Promise<number>;
  countErasureTargets(erasureMessageId: string): Promise<number>;
  /** Earlier undelivered rows the erasure names: they hold its own payload back. */
  countErasureBlockers(erasureMessageId: string): Promise<number>;
  /** Redacts the erasure's own payload if no earlier row it names still holds one. */
  redactErasure(erasureMessageId: string): Promise<boolean>;
}

export type RedactionReason = 'retention' | 'gdpr';

export interface RedactionObserver {
  redacted(reason: RedactionReason, count: number): void;
}

/**
 * One dependency the process needs to do its work (database, broker). Not ready when `check`
 * resolves false, rejects, or takes longer than the admin app's check timeout.
 */
export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<boolean | void>;
}
