import { type ControlledTransaction, type Kysely, sql, type Transaction } from 'kysely';
import {
  type AppendOutcome,
  type OutboxMessage,
  type OutboxRepository,
  StorageUnavailableError,
  type TransactionalRepositories,
  type UnitOfWork,
} from '../../application/intake/ports';
import { type CommitOutcome, type InDoubtSettings, resolveCommitInDoubt } from './commit-in-doubt';
import { isDatabaseUnavailable } from './connection';
import type { Database } from './database';
import { type BackendTransaction, insertOutboxRows } from './kysely-outbox-repository';

export interface GroupCommitSettings {
  /** The most units of work one transaction carries. */
  readonly maxBatchSize: number;
  /** How many batch transactions may be open at once (each holds one pooled connection). */
  readonly maxConcurrentBatches: number;
  /**
   * How a batch whose COMMIT answer was lost with the connection is resolved (commit-in-doubt.ts);
   * DEFAULT_IN_DOUBT when absent.
   */
  readonly inDoubt?: InDoubtSettings;
}

export const DEFAULT_IN_DOUBT: InDoubtSettings = { timeoutMs: 5_000, graceMs: 200 };

/** What group commit reports, for logs and metrics. Never a value from a row. */
export interface GroupCommitObserver {
  batchStarted?(size: number): void;
  /** A batch's COMMIT answer was lost; `outcome` is what the look on a fresh connection found. */
  commitInDoubt?(outcome: CommitOutcome, rows: number, durationMs: number): void;
  /** A batch failed for a reason that is not the database's; its works run again in halves. */
  batchSplit?(size: number, failure: RefusalDetails): void;
}

/** Called once for each committed batch that appended rows. */
export interface BatchCommitHook {
  afterCommit(): void;
}

/**
 * Wakes the relay after intake commits: a NOTIFY on the relay's channel, sent after the batch's
 * commit in a transaction of its own. Inside the batch transaction a NOTIFY would take PostgreSQL's
 * global notification-queue lock at every intake commit and serialise them (it cost 7–10 % of
 * intake throughput here even once per batch); outside, intake commits never wait for it. The
 * notifications coalesce: one in flight at a time, and every batch committed meanwhile is covered
 * by one more after it, so the relay is never left asleep with rows committed after its last wake-up.
 */
export function notifyRelayAfterCommit(
  db: Kysely<Database>,
  channel: string,
  minIntervalMs = 2,
): BatchCommitHook {
  let inFlight = false;
  let again = false;
  let lastSentAt = 0;
  const send = (): void => {
    inFlight = true;
    again = false;
    lastSentAt = performance.now();
    sql`select pg_notify(${channel}, '')`
      .execute(db)
      // A lost wake-up costs latency only: the relay also polls when idle.
      .catch(() => undefined)
      .finally(() => {
        if (!again) {
          inFlight = false;
          return;
        }
        // Under load, at most one NOTIFY per minIntervalMs: the relay is busy claiming anyway.
        setTimeout(send, Math.max(0, lastSentAt + minIntervalMs - performance.now()));
      });
  };
  return {
    afterCommit: () => {
      if (inFlight) again = true;
      else send();
    },
  };
}

interface QueuedRun {
  readonly work: (repositories: TransactionalRepositories) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface PendingAppend {
  /** The work of the batch that appends. */
  readonly index: number;
  readonly message: OutboxMessage;
  readonly resolve: (outcome: AppendOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent units of work share one transaction, and the outbox rows they append
 * go to PostgreSQL as one multi-row INSERT. One commit (one WAL flush, three round trips) then
 * serves a whole batch instead of each request — the difference between about half the minimal
 * route's throughput and all of it (docs/performance.md).
 *
 * Semantics are those of UnitOfWork: `run` resolves only after the commit that holds the work's
 * rows. Works run concurrently; their appends are flushed together once every work of the batch
 * is either waiting on an append or finished. Two works of one batch appending the same requestId
 * behave as two transactions would: the second waits for the first to finish.
 *
 * Fates are not coupled:
 * - A work that throws has its rows removed inside the transaction before the commit; the others
 *   commit.
 * - A batch whose transaction fails for a reason that is not the database's own (a value or a
 *   trigger refusing one row) runs again in two halves, each its own transaction, down to the
 *   one work that fails by itself; only that one is answered with the failure. A work may
 *   therefore run more than once, each time in a new transaction; works have no effects outside
 *   the repositories they are handed.
 * - Only a failure of the database itself (unreachable, shutting down, out of resources, a
 *   serialisation failure that persists) is shared: every work of the batch gets
 *   StorageUnavailableError.
 * - When the connection is lost after COMMIT was sent, the batch is in doubt: a look on a fresh
 *   connection decides whether its works succeeded or get StorageUnavailableError.
 */
export class GroupCommitUnitOfWork implements UnitOfWork {
  private readonly queue: QueuedRun[] = [];
  private openBatches = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: GroupCommitSettings,
    private readonly observer: GroupCommitObserver = {},
    private readonly commitHook: BatchCommitHook | undefined = undefined,
  ) {}

  run<T>(work: (repositories: TransactionalRepositories) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.queue.length > 0 && this.openBatches < this.settings.maxConcurrentBatches) {
      const batch = this.queue.splice(0, this.settings.maxBatchSize);
      this.openBatches++;
      this.observer.batchStarted?.(batch.length);
      void this.commitBatch(batch)
        .catch((error: unknown) => {
          for (const run of batch) run.reject(error);
        })
        .finally(() => {
          this.openBatches--;
          this.startBatches();
        });
    }
  }

  private async commitBatch(batch: QueuedRun[], transientRetries = 0): Promise<void> {
    const attempt = await this.attempt(batch);
    switch (attempt.kind) {
      case 'committed':
        this.settle(batch, attempt.outcomes, attempt.appendedMessageIds.length > 0);
        return;
      case 'in-doubt': {
        const started = performance.now();
        const outcome = await resolveCommitInDoubt(
          this.db,
          attempt.appendedMessageIds,
          attempt.backend,
          this.settings.inDoubt ?? DEFAULT_IN_DOUBT,
        );
        this.observer.commitInDoubt?.(
          outcome,
          attempt.appendedMessageIds.length,
          performance.now() - started,
        );
        if (outcome === 'stored') {
          this.settle(batch, attempt.outcomes, true);
          return;
        }
        const failure = new StorageUnavailableError(
          outcome === 'absent'
            ? 'the connection was lost during COMMIT and the rows are not stored'
            : 'the connection was lost during COMMIT and the database stayed unreachable: the rows may be stored',
          { cause: attempt.error },
        );
        for (const run of batch) run.reject(failure);
        return;
      }
      case 'failed': {
        const { error } = attempt;
        if (isTransient(error) && transientRetries < MAX_TRANSIENT_RETRIES) {
          return this.commitBatch(batch, transientRetries + 1);
        }
        if (isSharedFailure(error)) {
          const failure = isDatabaseUnavailable(error)
            ? new StorageUnavailableError('the database is unreachable', { cause: error })
            : new StorageUnavailableError(
                `the database failed the transaction (SQLSTATE ${sqlState(error)})`,
                {
                  cause: error,
                },
              );
          for (const run of batch) run.reject(failure);
          return;
        }
        if (batch.length === 1) {
          for (const run of batch) run.reject(new RowRefusedError(refusalDetails(error)));
          return;
        }
        this.observer.batchSplit?.(batch.length, refusalDetails(error));
        const half = Math.ceil(batch.length / 2);
        await this.commitBatch(batch.slice(0, half));
        await this.commitBatch(batch.slice(half));
        return;
      }
      default: {
        const unexpected: never = attempt;
        throw new Error(`unexpected batch attempt ${JSON.stringify(unexpected)}`);
      }
    }
  }

  /** One transaction for the batch's works; says whether it committed, failed, or is in doubt. */
  private async attempt(batch: readonly QueuedRun[]): Promise<BatchAttempt> {
    let trx: ControlledTransaction<Database>;
    try {
      trx = await this.db.startTransaction().execute();
    } catch (error) {
      return { kind: 'failed', error };
    }
    const batchTransaction = new BatchTransaction(trx, batch.length);
    let outcomes: Array<PromiseSettledResult<unknown>>;
    try {
      outcomes = await batchTransaction.runAll(batch.map((r) => r.work));
    } catch (error) {
      await trx
        .rollback()
        .execute()
        .catch(() => undefined);
      return { kind: 'failed', error };
    }
    const appendedMessageIds = batchTransaction.appendedMessageIds();
    try {
      await trx.commit().execute();
      return { kind: 'committed', outcomes, appendedMessageIds };
    } catch (error) {
      // The connection is released by the rollback, which fails on a dead connection.
      await trx
        .rollback()
        .execute()
        .catch(() => undefined);
      if (isDatabaseUnavailable(error) && appendedMessageIds.length > 0) {
        return { kind: 'in-doubt', error, outcomes, appendedMessageIds, backend: batchTransaction.backend };
      }
      // Nothing appended: the works' outcomes (duplicates, their own failures) hold without a commit.
      if (isDatabaseUnavailable(error)) return { kind: 'committed', outcomes, appendedMessageIds };
      return { kind: 'failed', error };
    }
  }

  private settle(
    batch: readonly QueuedRun[],
    outcomes: ReadonlyArray<PromiseSettledResult<unknown>>,
    appended: boolean,
  ): void {
    if (appended) this.commitHook?.afterCommit();
    outcomes.forEach((outcome, i) => {
      const run = batch[i];
      if (run === undefined) return;
      if (outcome.status === 'fulfilled') run.resolve(outcome.value);
      else run.reject(outcome.reason);
    });
  }
}

type BatchAttempt =
  | {
      readonly kind: 'committed';
      readonly outcomes: Array<PromiseSettledResult<unknown>>;
      readonly appendedMessageIds: string[];
    }
  | { readonly kind: 'failed'; readonly error: unknown }
  | {
      readonly kind: 'in-doubt';
      readonly error: unknown;
      readonly outcomes: Array<PromiseSettledResult<unknown>>;
      readonly appendedMessageIds: string[];
      readonly backend: BackendTransaction | undefined;
    };

/** A serialisation failure or deadlock is nobody's fault: the same batch runs again, a few times. */
const MAX_TRANSIENT_RETRIES = 3;

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function isTransient(error: unknown): boolean {
  return sqlState(error)?.startsWith('40') === true;
}

/**
 * Failures of the database itself rather than of something a work wrote: connection exceptions
 * (08), transaction rollback (40), insufficient resources (53), operator intervention (57),
 * system errors (58), or the connection lost.
 */
function isSharedFailure(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  const state = sqlState(error);
  return state !== undefined && ['08', '40', '53', '57', '58'].includes(state.slice(0, 2));
}

/** What may be logged of a database error: its SQLSTATE and where, never the message or a value. */
export interface RefusalDetails {
  readonly sqlState: string | undefined;
  /** The error's class name, for failures that did not come from PostgreSQL. */
  readonly error: string;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
}

function refusalDetails(error: unknown): RefusalDetails {
  const e = error as { table?: unknown; column?: unknown; constraint?: unknown } | undefined;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const table = text(e?.table);
  const column = text(e?.column);
  const constraint = text(e?.constraint);
  return {
    sqlState: sqlState(error),
    error: error instanceof Error ? error.name : typeof error,
    ...(table !== undefined ? { table } : {}),
    ...(column !== undefined ? { column } : {}),
    ...(constraint !== undefined ? { constraint } : {}),
  };
}

/**
 * The database refused what one work wrote, by itself (its batch was split down to it). Carries
 * the SQLSTATE and where, never the database's message, which may quote the value.
 */
export class RowRefusedError extends Error {
  readonly code: string | undefined;
  constructor(readonly details: RefusalDetails) {
    super(
      (details.sqlState !== undefined
        ? `PostgreSQL refused the row: SQLSTATE ${details.sqlState}`
        : `the row could not be written: ${details.error}`) +
        (details.column !== undefined ? `, column ${details.column}` : '') +
        (details.constraint !== undefined ? `, constraint ${details.constraint}` : ''),
    );
    this.name = 'RowRefusedError';
    this.code = details.sqlState;
  }
}

/** The works of one batch inside its transaction, and the appends they are waiting on. */
class BatchTransaction {
  private pending: PendingAppend[] = [];
  private waitingOrDone = 0;
  private flushing: Promise<void> = Promise.resolve();
  private readonly appendedBy = new Map<number, string[]>();
  /** requestId → the unfinished work of this batch whose row holds it. */
  private readonly heldBy = new Map<string, number>();
  /**
   * Appends of a requestId that another unfinished work of this batch holds, by that work. Like a
   * second inserter on PostgreSQL's unique index they wait for the holder: a duplicate if it
   * succeeds, the requestId is theirs if it fails (its row is removed). Answering "duplicate" at
   * once would tell a client 412 for a requestId that ends up stored nowhere.
   */
  private readonly waitingFor = new Map<number, PendingAppend[]>();
  private failure: { readonly error: unknown } | undefined;
  /** The backend and transaction that hold this batch's rows, from the first insert. */
  backend: BackendTransaction | undefined;

  constructor(
    private readonly trx: Transaction<Database>,
    private readonly size: number,
  ) {}

  /** The message ids of the rows this transaction holds (those of works that did not fail). */
  appendedMessageIds(): string[] {
    return [...this.appendedBy.values()].flat();
  }

  async runAll(
    works: ReadonlyArray<(repositories: TransactionalRepositories) => Promise<unknown>>,
  ): Promise<Array<PromiseSettledResult<unknown>>> {
    const outcomes = await Promise.allSettled(
      works.map(async (work, index) => {
        let succeeded = false;
        try {
          const value = await work({ outbox: this.repositoryFor(index) });
          succeeded = true;
          return value;
        } finally {
          this.finish(index, succeeded);
        }
      }),
    );
    await this.flushing;
    if (this.failure !== undefined) throw this.failure.error;
    return outcomes;
  }

  private repositoryFor(index: number): OutboxRepository {
    return {
      append: (message) =>
        new Promise<AppendOutcome>((resolve, reject) => {
          this.pending.push({
            index,
            message,
            resolve: (outcome) => {
              if (outcome === 'appended') {
                const mine = this.appendedBy.get(index) ?? [];
                mine.push(message.messageId);
                this.appendedBy.set(index, mine);
              }
              this.waitingOrDone--;
              resolve(outcome);
            },
            reject: (error) => {
              this.waitingOrDone--;
              reject(error);
            },
          });
          this.waitingOrDone++;
          this.flushIfAllWaiting();
        }),
    };
  }

  private finish(index: number, succeeded: boolean): void {
    const waiters = this.waitingFor.get(index) ?? [];
    this.waitingFor.delete(index);
    for (const [requestId, holder] of this.heldBy) if (holder === index) this.heldBy.delete(requestId);
    if (succeeded) {
      for (const waiter of waiters) waiter.resolve('duplicate-request-id');
    } else {
      // Rows appended by a work that failed must not commit with the others. The delete is queued
      // before any later flush, so the waiters' retried inserts find the requestId free.
      const orphaned = this.appendedBy.get(index) ?? [];
      this.appendedBy.delete(index);
      if (orphaned.length > 0 && this.failure === undefined) {
        this.flushing = this.flushing.then(async () => {
          try {
            await this.trx.deleteFrom('outbox').where('message_id', 'in', orphaned).execute();
          } catch (error) {
            this.failure ??= { error };
          }
        });
      }
      this.pending.push(...waiters);
    }
    this.waitingOrDone++;
    this.flushIfAllWaiting();
  }

  private flushIfAllWaiting(): void {
    if (this.waitingOrDone < this.size || this.pending.length === 0) return;
    const appends = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (this.failure !== undefined) {
        for (const a of appends) a.reject(this.failure.error);
        return;
      }
      try {
        const inserted = await insertOutboxRows(
          this.trx,
          appends.map((a) => a.message),
        );
        this.backend ??= inserted.backend;
        for (const a of appends) {
          const { requestId } = a.message;
          if (inserted.requestIds.has(requestId) && !this.heldBy.has(requestId)) {
            this.heldBy.set(requestId, a.index);
            a.resolve('appended');
            continue;
          }
          const holder = this.heldBy.get(requestId);
          if (holder === undefined || holder === a.index) a.resolve('duplicate-request-id');
          else if (this.wouldDeadlock(a.index, holder)) a.reject(new BatchDeadlockError());
          else this.waitingFor.set(holder, [...(this.waitingFor.get(holder) ?? []), a]);
        }
      } catch (error) {
        // PostgreSQL has aborted the transaction: the whole batch fails, and is split (above).
        this.failure ??= { error };
        for (const a of appends) a.reject(error);
      }
    });
  }

  /** Whether `waiter` waiting for `holder` closes a cycle of works each waiting for the next. */
  private wouldDeadlock(waiter: number, holder: number): boolean {
    const seen = new Set<number>();
    const stack = [holder];
    while (stack.length > 0) {
      const work = stack.pop() as number;
      if (work === waiter) return true;
      if (seen.has(work)) continue;
      seen.add(work);
      for (const [held, waiters] of this.waitingFor) {
        if (waiters.some((w) => w.index === work)) stack.push(held);
      }
    }
    return false;
  }
}

/** Two works of one batch each waiting for a requestId the other holds; PostgreSQL would say 40P01. */
export class BatchDeadlockError extends Error {
  constructor() {
    super('two units of work in one batch wait for each other’s requestId');
    this.name = 'BatchDeadlockError';
  }
}
