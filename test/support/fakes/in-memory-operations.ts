import type { Clock } from '../../../src/application/clock';
import type { OutboxMessage } from '../../../src/application/intake/ports';
import type {
  OperatorAction,
  OperatorRepositories,
  OperatorUnitOfWork,
  OutboxEntry,
  OutboxReadModel,
  OutboxStatistics,
  OutboxStatus,
  PayloadRedactionStore,
  RedactionReason,
} from '../../../src/application/operations/ports';
import { InMemoryOutbox } from './in-memory-outbox';

/** What PostgreSQL keeps per row besides the appended message: delivery, operator and redaction state. */
export interface InMemoryRowState {
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date;
  readonly deliveredAt: Date | null;
  readonly redactedAt: Date | null;
  /** Why the payload was redacted and, for GDPR, by which notice (outbox_delivery, migration 0007). */
  readonly redactionReason: RedactionReason | null;
  readonly redactedBy: string | null;
}

/** An operator_action row. */
export interface RecordedOperatorAction extends OperatorAction {
  readonly at: Date;
}

const PARKED_BY_OPERATOR = 'parked by an operator (see operator_action)';

/**
 * The operations ports in memory, for unit tests: the same contract as the PostgreSQL adapters
 * (see test/support/operations-contract.ts). Rows are those of an `InMemoryOutbox`, so a message
 * accepted through intake's unit of work is the row the operator sees; `seq` is its position there.
 * What the outbox message does not hold (status, attempts, redaction) is kept here, by message id.
 * Operator runs are serialised, which is what PostgreSQL's row locks amount to for one operator, and
 * their changes and action records apply together only if the work succeeds.
 */
export class InMemoryOperations {
  readonly actions: RecordedOperatorAction[] = [];
  private readonly states = new Map<string, InMemoryRowState>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    readonly outbox: InMemoryOutbox = new InMemoryOutbox(),
    private readonly clock: Clock = { now: () => new Date() },
  ) {}

  /** The row's state; a row no one has touched is pending, never attempted, due when received. */
  state(messageId: string): InMemoryRowState {
    const message = this.message(messageId);
    return (
      this.states.get(message.messageId) ?? {
        status: 'pending',
        attempts: 0,
        lastError: null,
        nextAttemptAt: message.receivedAt,
        deliveredAt: null,
        redactedAt: null,
        redactionReason: null,
        redactedBy: null,
      }
    );
  }

  /** Every row with its state, in seq order, as the explorer fake reads them. */
  rows(): Array<{
    readonly message: OutboxMessage;
    readonly entry: OutboxEntry;
    readonly state: InMemoryRowState;
  }> {
    return this.outbox.rows.map((message) => {
      const state = this.state(message.messageId);
      return { message, entry: this.entry(message, state), state };
    });
  }

  /** Earlier rows a GDPR notice names that still hold a payload, delivered or not. */
  erasureWaiting(erasureMessageId: string): number {
    return this.erasureTargets(erasureMessageId, 'any').length;
  }

  /** What the relay does after a broker confirm. */
  markDelivered(messageId: string, deliveredAt: Date = this.clock.now()): void {
    this.update(messageId, { status: 'delivered', deliveredAt });
  }

  /** What the relay does after a failed publish that counts as an attempt. */
  markFailed(messageId: string, lastError: string, nextAttemptAt: Date = this.clock.now()): void {
    const state = this.state(messageId);
    this.update(messageId, { attempts: state.attempts + 1, lastError, nextAttemptAt });
  }

  /** What the relay does with a row it gives up on. */
  markParked(messageId: string, lastError: string): void {
    this.update(messageId, { status: 'parked', lastError });
  }

  readonly readModel: OutboxReadModel = {
    // No planner here: the count is always exact.
    statistics: () => Promise.resolve(this.statistics()),
    find: (id) => Promise.resolve(this.find(id)),
    payloadOf: (messageId) => Promise.resolve(this.payload(messageId.toLowerCase())),
  };

  readonly unitOfWork: OperatorUnitOfWork = {
    run: <T>(work: (repositories: OperatorRepositories) => Promise<T>): Promise<T> => {
      const result = this.running.then(() => this.runNow(work));
      this.running = result.catch(() => undefined);
      return result;
    },
  };

  readonly redactionStore: PayloadRedactionStore = {
    redactExpired: (deliveredBefore, limit) =>
      Promise.resolve(this.redact(this.expired(deliveredBefore).slice(0, limit), 'retention', null)),
    countExpired: (deliveredBefore) => Promise.resolve(this.expired(deliveredBefore).length),
    deliveredErasures: () =>
      Promise.resolve(
        this.outbox.rows
          .filter(
            (m) =>
              m.kind === 'GdprSlettetNotifikation' &&
              this.holdsPayload(m) &&
              this.state(m.messageId).status === 'delivered',
          )
          .map((m) => m.messageId),
      ),
    redactErasureTargets: (erasureMessageId, limit) =>
      Promise.resolve(
        this.redact(
          this.erasureTargets(erasureMessageId, 'delivered').slice(0, limit),
          'gdpr',
          erasureMessageId,
        ),
      ),
    countErasureTargets: (erasureMessageId) =>
      Promise.resolve(this.erasureTargets(erasureMessageId, 'delivered').length),
    countErasureBlockers: (erasureMessageId) =>
      Promise.resolve(this.erasureTargets(erasureMessageId, 'undelivered').length),
    redactErasure: (erasureMessageId) => {
      const erasure = this.outbox.rows.find((m) => m.messageId === erasureMessageId);
      if (erasure === undefined || this.erasureTargets(erasureMessageId, 'any').length > 0) {
        return Promise.resolve(false);
      }
      return Promise.resolve(this.redact([erasure], 'gdpr', erasure.messageId) > 0);
    },
  };

  private async runNow<T>(work: (repositories: OperatorRepositories) => Promise<T>): Promise<T> {
    const staged = new Map<string, InMemoryRowState>();
    const recorded: RecordedOperatorAction[] = [];
    const stagedState = (messageId: string) => staged.get(messageId) ?? this.state(messageId);
    const locate = (messageId: string): OutboxEntry | undefined => {
      const message = this.outbox.rows.find((m) => m.messageId === messageId.toLowerCase());
      return message === undefined ? undefined : this.entry(message, stagedState(message.messageId));
    };
    const result = await work({
      outbox: {
        lock: (messageId) => Promise.resolve(locate(messageId)),
        lockAllParked: () =>
          Promise.resolve(
            this.outbox.rows
              .filter((m) => stagedState(m.messageId).status === 'parked')
              .map((m) => this.entry(m, stagedState(m.messageId))),
          ),
        replay: (messageIds) => {
          const now = this.clock.now();
          for (const row of messageIds.map(locate)) {
            if (row === undefined || row.status === 'delivered') continue;
            const state = stagedState(row.messageId);
            staged.set(row.messageId, {
              ...state,
              status: 'pending',
              attempts: 0,
              lastError: null,
              nextAttemptAt: now,
            });
          }
          return Promise.resolve();
        },
        park: (messageId) => {
          const row = locate(messageId);
          if (row?.status === 'pending') {
            staged.set(row.messageId, {
              ...stagedState(row.messageId),
              status: 'parked',
              lastError: PARKED_BY_OPERATOR,
            });
          }
          return Promise.resolve();
        },
      },
      actions: {
        record: (action) => {
          checkActionColumns(action);
          // Through JSON, as the jsonb column stores it.
          const details = JSON.parse(JSON.stringify(action.details)) as OperatorAction['details'];
          recorded.push({ ...action, details, at: this.clock.now() });
          return Promise.resolve();
        },
      },
    });
    for (const [messageId, state] of staged) this.states.set(messageId, state);
    this.actions.push(...recorded);
    return result;
  }

  private statistics(): OutboxStatistics {
    const now = this.clock.now().getTime();
    const countByStatus: Record<OutboxStatus, number> = { pending: 0, delivered: 0, parked: 0 };
    const oldest: Partial<Record<OutboxStatus, number>> = {};
    const oldestUndeliveredByEntity = new Map<string, InMemoryRowState>();
    let gdprErasuresWaiting = 0;
    for (const message of this.outbox.rows) {
      const state = this.state(message.messageId);
      countByStatus[state.status]++;
      const received = message.receivedAt.getTime();
      if (state.status !== 'delivered') {
        oldest[state.status] = Math.min(oldest[state.status] ?? received, received);
        if (!oldestUndeliveredByEntity.has(message.eksternIdentifier)) {
          oldestUndeliveredByEntity.set(message.eksternIdentifier, state);
        }
      } else if (message.kind === 'GdprSlettetNotifikation' && state.redactedAt === null) {
        gdprErasuresWaiting++;
      }
    }
    const age = (status: OutboxStatus) => {
      const received = oldest[status];
      return received === undefined ? null : Math.max(0, (now - received) / 1000);
    };
    return {
      countByStatus,
      oldestPendingAgeSeconds: age('pending'),
      oldestParkedAgeSeconds: age('parked'),
      blockedEntities: [...oldestUndeliveredByEntity.values()].filter(
        (s) => s.status === 'parked' || s.attempts > 0,
      ).length,
      gdprErasuresWaiting,
      deliveredEstimated: false,
    };
  }

  private find(id: string): OutboxEntry[] {
    const byMessageId = UUID.test(id) ? id.toLowerCase() : undefined;
    return this.outbox.rows
      .filter((m) => m.messageId === byMessageId || m.requestId === id)
      .map((m) => this.entry(m, this.state(m.messageId)));
  }

  private payload(messageId: string): Readonly<Record<string, unknown>> | null {
    const message = this.outbox.rows.find((m) => m.messageId === messageId);
    return message === undefined || !this.holdsPayload(message) ? null : message.payload;
  }

  private entry(message: OutboxMessage, state: InMemoryRowState): OutboxEntry {
    return {
      seq: String(this.outbox.rows.indexOf(message) + 1),
      messageId: message.messageId,
      requestId: message.requestId,
      kind: message.kind,
      eksternIdentifier: message.eksternIdentifier,
      jobCenterKode: message.jobCenterKode,
      registreringsDato: message.registreringsDato,
      aendringstype: message.aendringstype,
      clientId: message.clientId,
      clientCertSubject: message.clientCertSubject ?? null,
      receivedAt: message.receivedAt,
      exchange: message.exchange,
      routingKey: message.routingKey,
      status: state.status,
      attempts: state.attempts,
      lastError: state.lastError,
      // As PostgreSQL keeps it: a delivered row has no next attempt.
      nextAttemptAt: state.status === 'delivered' ? null : state.nextAttemptAt,
      deliveredAt: state.deliveredAt,
      redactedAt: state.redactedAt,
    };
  }

  private expired(deliveredBefore: Date): OutboxMessage[] {
    return this.outbox.rows
      .filter((m) => {
        const { status, deliveredAt } = this.state(m.messageId);
        return (
          m.kind === 'Ordningsnotifikation' &&
          status === 'delivered' &&
          this.holdsPayload(m) &&
          deliveredAt !== null &&
          deliveredAt.getTime() < deliveredBefore.getTime()
        );
      })
      .sort((a, b) => deliveredTime(this.state(a.messageId)) - deliveredTime(this.state(b.messageId)));
  }

  /**
   * The Ordningsnotifikation rows received before the GDPR notification that it names (its own
   * entity, its slettedeExternalIdentifiers, a CPR number in its cprNumre) and that still hold a payload.
   */
  private erasureTargets(
    erasureMessageId: string,
    delivery: 'delivered' | 'undelivered' | 'any',
  ): OutboxMessage[] {
    const erasure = this.outbox.rows.find((m) => m.messageId === erasureMessageId);
    if (erasure === undefined || erasure.kind !== 'GdprSlettetNotifikation' || !this.holdsPayload(erasure)) {
      return [];
    }
    const body = objectAt(erasure.payload, 'gdprSlettetNotifikation', 'body');
    const entities = new Set([
      erasure.eksternIdentifier,
      ...strings(body?.['slettedeExternalIdentifiers']).map((e) => e.toLowerCase()),
    ]);
    const cprs = new Set(strings(body?.['cprNumre']).filter((c) => c !== ''));
    const before = this.outbox.rows.indexOf(erasure);
    return this.outbox.rows.slice(0, before).filter((m) => {
      if (m.kind !== 'Ordningsnotifikation' || !this.holdsPayload(m)) return false;
      const delivered = this.state(m.messageId).status === 'delivered';
      if ((delivery === 'delivered' && !delivered) || (delivery === 'undelivered' && delivered)) return false;
      const cpr = objectAt(m.payload, 'ordningsnotifikation', 'body')?.['cprNummer'];
      return entities.has(m.eksternIdentifier) || (typeof cpr === 'string' && cprs.has(cpr));
    });
  }

  /**
   * Redacts those of `messages` that are delivered and still hold a payload, recording why and by
   * which notice; returns how many.
   */
  private redact(messages: readonly OutboxMessage[], reason: RedactionReason, by: string | null): number {
    const now = this.clock.now();
    let redacted = 0;
    for (const m of messages) {
      if (this.state(m.messageId).status !== 'delivered' || !this.holdsPayload(m)) continue;
      this.update(m.messageId, { redactedAt: now, redactionReason: reason, redactedBy: by });
      redacted++;
    }
    return redacted;
  }

  private holdsPayload(message: OutboxMessage): boolean {
    return this.state(message.messageId).redactedAt === null;
  }

  private message(messageId: string): OutboxMessage {
    const message = this.outbox.rows.find((m) => m.messageId === messageId.toLowerCase());
    if (message === undefined) throw new Error(`no outbox row ${messageId}`);
    return message;
  }

  private update(messageId: string, change: Partial<InMemoryRowState>): void {
    const id = this.message(messageId).messageId;
    this.states.set(id, { ...this.state(id), ...change });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The operator_action table's checks: PostgreSQL refuses such a row, so the fake does too. */
function checkActionColumns(action: OperatorAction): void {
  if (action.actor.length < 1 || action.actor.length > 200) {
    throw new Error('operator_action.actor must be 1 to 200 characters');
  }
  if (action.reason.length < 1 || action.reason.length > 2000) {
    throw new Error('operator_action.reason must be 1 to 2000 characters');
  }
}

function deliveredTime(state: InMemoryRowState): number {
  return state.deliveredAt?.getTime() ?? 0;
}

export function objectAt(value: unknown, ...path: string[]): Readonly<Record<string, unknown>> | undefined {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'object' && current !== null ? (current as Record<string, unknown>) : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
