/**
 * Ports for operating the outbox: reading its state, the operator's replay and park, and payload
 * redaction. Kept apart from ports.ts so that intake's unit of work stays as small as it is.
 */

export type OutboxStatus = 'pending' | 'delivered' | 'parked';

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
  /** countByStatus.delivered is the database's estimate, not a count (asked for with `estimate`). */
  readonly deliveredEstimated: boolean;
}

/**
 * How statistics() counts the delivered rows, the whole history: `exact` reads every one (the CLI's
 * `outbox stats`, run rarely); `estimate` may answer from the database's statistics once the
 * history is too long to count on every look (the console's overview, polled every few seconds).
 */
export type DeliveredCount = 'exact' | 'estimate';

/** Reads for operators; no transaction needed. */
export interface OutboxReadModel {
  statistics(delivered: DeliveredCount): Promise<OutboxStatistics>;
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

/**
 * What the action log records. `reveal` is a payload shown to a person (console or `outbox show
 * --payload`), `subject-access` a search by CPR number: both change nothing but are logged with
 * their reason, like the changes.
 */
export type OperatorActionKind = 'replay' | 'park' | 'redact' | 'reveal' | 'subject-access';

export interface OperatorAction {
  readonly action: OperatorActionKind;
  /** The one message of a single-message action; null for a group, bulk, sweep or search. */
  readonly messageId: string | null;
  readonly requestId: string | null;
  readonly actor: string;
  readonly reason: string;
  readonly dryRun: boolean;
  /** Ids, counts and previous states only: never a payload value. */
  readonly details: Readonly<Record<string, string | number | boolean | null | readonly unknown[]>>;
  /**
   * Every message the action touched besides `messageId` (a group or bulk replay or park, the
   * results of a subject-access search). The log links the action to each of them (migration
   * 0007), so the action is found from any of its messages.
   */
  readonly messageIds?: readonly string[];
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
 * returns how many it redacted, so a sweep never holds many row locks for long. Each redaction
 * records its reason with it: `retention` for redactExpired, `gdpr` and the erasing notice's
 * message id for the other two (EntryDetail.redaction, outbox_audit's last columns).
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

export type MessageKind = 'Ordningsnotifikation' | 'GdprSlettetNotifikation';

/**
 * A search over the outbox (`outbox list`, the console's message list). Every filter is optional
 * and all that are given must hold. Pages go newest first: by received time, then by `seq` (the
 * order every index on the outbox that a filter can use already has).
 */
export interface OutboxSearch {
  /** Exact match. */
  readonly requestId?: string;
  /** Exact match; a value that is not a uuid matches nothing (never an error). */
  readonly messageId?: string;
  /** Exact match; a value that is not a uuid matches nothing. */
  readonly eksternIdentifier?: string;
  readonly jobCenterKode?: string;
  readonly kind?: MessageKind;
  /** `undelivered` is pending or parked: the console's default list. */
  readonly status?: OutboxStatus | 'undelivered';
  /**
   * Only undelivered rows of blocked entities: entities whose oldest undelivered row is parked or
   * has failed at least once (the rows `OutboxStatistics.blockedEntities` counts, and those behind).
   * False or absent: no condition.
   */
  readonly blocked?: boolean;
  /** received_at >= from. */
  readonly receivedFrom?: Date;
  /** received_at < to. */
  readonly receivedTo?: Date;
  /** Keyset: the `next` of the previous page (opaque); only rows after it in the page order. */
  readonly after?: string;
  /** 1–500. */
  readonly limit: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `after` for the next page; null on the last. */
  readonly next: string | null;
}

/** An action log row, as read back. */
export interface RecordedAction extends OperatorAction {
  readonly id: string;
  readonly at: Date;
  /**
   * Every message the action touched: its `messageId` for a single-message action, all of them
   * for a group or bulk action, empty for a sweep or a search that named none.
   */
  readonly messageIds: readonly string[];
}

export interface ActionSearch {
  /** Actions that touched this message (single or as part of a group). */
  readonly messageId?: string;
  readonly actor?: string;
  readonly action?: OperatorActionKind;
  /** at >= since. */
  readonly since?: Date;
  /** Keyset, newest first, by id. */
  readonly after?: string;
  readonly limit: number;
}

/** Why an undelivered message is not on its way to the broker right now. */
export type Hold =
  | { readonly _tag: 'Delivered' }
  /** Due now: the next claim takes it. */
  | { readonly _tag: 'Due' }
  /** Failed before; the relay tries again at `until` (capped exponential backoff). */
  | { readonly _tag: 'BackingOff'; readonly until: Date }
  /** Parked: the relay leaves it (and everything after it of the entity) until replayed. */
  | { readonly _tag: 'Parked'; readonly parkedBy: RecordedAction | null }
  /** An earlier undelivered message of the same entity goes first (per-entity order). */
  | {
      readonly _tag: 'BlockedBy';
      readonly blocker: OutboxEntry;
      readonly blockerHold: Exclude<Hold, { _tag: 'BlockedBy' }>;
    };

/** One message with what it waits for: `outbox show`, the console's message page. */
export interface EntryDetail {
  readonly entry: OutboxEntry;
  readonly hold: Hold;
  /** The W3C trace id of its traceparent, when it has one. */
  readonly traceId: string | null;
  /** Why its payload was redacted, once it was; for `gdpr`, the notice that erased it. */
  readonly redaction: { readonly reason: RedactionReason; readonly byMessageId: string | null } | null;
}

/** Undelivered messages whose last error is the same once ids and numbers are normalised. */
export interface FailureGroup {
  /** Stable for the same normalised error text; safe in a URL path ([0-9a-f]+). */
  readonly fingerprint: string;
  /** The normalised error text (ids and numbers replaced), never a payload value. */
  readonly error: string;
  readonly count: number;
  readonly parked: number;
  /** received_at of the oldest and newest member. */
  readonly firstSeen: Date;
  readonly lastSeen: Date;
}

/** One GdprSlettetNotifikation and how far its erasure has come. */
export interface ErasureNotice {
  readonly entry: OutboxEntry;
  /** Messages whose payload this notice erased (redaction reason gdpr, by this notice). */
  readonly erased: number;
  /** Earlier messages it names that still hold a payload (undelivered ones hold it back). */
  readonly waiting: number;
  /** The notice's own payload is redacted once nothing it names holds one: its cascade is done. */
  readonly done: boolean;
}

/**
 * A gateway process's pool as the database sees it: pg_stat_activity's sessions with one
 * application_name `wsb-gateway <purpose> pid <pid>` from one client address.
 */
export interface ConnectedProcess {
  readonly applicationName: string;
  readonly clientAddress: string | null;
  /** The gateway process's own pid (from the application name); null for a name without one. */
  readonly pid: number | null;
  /** Its open sessions. */
  readonly connections: number;
  /** When the oldest of them connected. */
  readonly since: Date;
}

/** Deliveries in one minute, and the delay received → delivered of those delivered in it. */
export interface DeliveryMinute {
  readonly minute: Date;
  readonly delivered: number;
  readonly delayP50Seconds: number | null;
  readonly delayP95Seconds: number | null;
}

/**
 * The questions operators and auditors ask of the outbox, answered one way for the command line
 * and the console. Reads only: changes go through `OperatorUnitOfWork`. Each answer is cheap at a
 * million rows (an index look-up or a scan of the undelivered rows), never a scan of the history.
 */
export interface OutboxExplorer {
  search(search: OutboxSearch): Promise<Page<OutboxEntry>>;
  /** Message id or request id, as `OutboxReadModel.find`, with what each waits for. */
  detail(id: string): Promise<EntryDetail[]>;
  /** One entity's messages in acceptance order (oldest first); keyset by seq ascending (`after` a seq). */
  entity(eksternIdentifier: string, after: string | undefined, limit: number): Promise<Page<EntryDetail>>;
  /** Largest group first (then by fingerprint): the undelivered rows with a last error. */
  failureGroups(): Promise<FailureGroup[]>;
  /** The undelivered messages of one group, oldest first. */
  failureGroupMembers(fingerprint: string): Promise<OutboxEntry[]>;
  actions(search: ActionSearch): Promise<Page<RecordedAction>>;
  /** GDPR notices newest first, as `search({ kind: 'GdprSlettetNotifikation' })` pages them. */
  erasureNotices(after: string | undefined, limit: number): Promise<Page<ErasureNotice>>;
  /**
   * Messages that still hold a payload naming this CPR number, in acceptance order: an
   * Ordningsnotifikation's cprNummer or a GDPR notice's cprNumre (redacted ones no longer do).
   */
  subjectAccess(cprNummer: string): Promise<OutboxEntry[]>;
  /** Minutes with at least one delivery at or after `since`, oldest first. */
  deliveriesPerMinute(since: Date): Promise<DeliveryMinute[]>;
  connectedProcesses(): Promise<ConnectedProcess[]>;
}
