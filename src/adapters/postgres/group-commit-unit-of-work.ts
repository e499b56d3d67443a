import { type Kysely, sql, type Transaction } from 'kysely';
import type {
  AppendOutcome,
  OutboxMessage,
  OutboxRepository,
  TransactionalRepositories,
  UnitOfWork,
} from '../../application/ports';
import type { Database } from './database';
import { translateUnavailable } from './connection';
import { insertOutboxRows } from './kysely-outbox-repository';

export interface GroupCommitSettings {
  /** The most units of work one transaction carries. */
  readonly maxBatchSize: number;
  /** How many batch transactions may be open at once (each holds one pooled connection). */
  readonly maxConcurrentBatches: number;
}

/**
 * Runs inside a batch's transaction, just before its commit, when the batch appended at least one
 * row; e.g. a `pg_notify` that wakes the relay on commit (see docs/relay.md for what it costs).
 */
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
 * route's throughput and all of it (see README, "Intake throughput").
 *
 * Semantics are those of UnitOfWork: `run` resolves only after the commit that holds the work's
 * rows; a work that throws has its rows removed inside the same transaction before the commit, so
 * they never become visible; if the commit fails every run in the batch rejects, and nothing of
 * the batch is in the outbox. Two works of one batch appending the same requestId behave as two
 * transactions would: the second waits for the first to finish. Works run concurrently; their appends are flushed together once
 * every work of the batch is either waiting on an append or finished.
 */
export class GroupCommitUnitOfWork implements UnitOfWork {
  private readonly queue: QueuedRun[] = [];
  private openBatches = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: GroupCommitSettings,
    private readonly onBatch: (size: number) => void = () => undefined,
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
      this.onBatch(batch.length);
      void this.runBatch(batch).finally(() => {
        this.openBatches--;
        this.startBatches();
      });
    }
  }

  private async runBatch(batch: QueuedRun[]): Promise<void> {
    let outcomes: Array<PromiseSettledResult<unknown>> = [];
    let appended = false;
    try {
      await this.db.transaction().execute(async (trx) => {
        const batchTransaction = new BatchTransaction(trx, batch.length);
        outcomes = await batchTransaction.runAll(batch.map((r) => r.work));
        appended = batchTransaction.appendedAny;
      });
    } catch (error) {
      const failure = asUnavailable(error);
      for (const run of batch) run.reject(failure);
      return;
    }
    if (appended) this.commitHook?.afterCommit();
    outcomes.forEach((outcome, i) => {
      const run = batch[i];
      if (run === undefined) return;
      if (outcome.status === 'fulfilled') run.resolve(outcome.value);
      else run.reject(outcome.reason);
    });
  }
}

function asUnavailable(error: unknown): unknown {
  try {
    translateUnavailable(error);
  } catch (translated) {
    return translated;
  }
  return error;
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

  constructor(
    private readonly trx: Transaction<Database>,
    private readonly size: number,
  ) {}

  get appendedAny(): boolean {
    for (const [, ids] of this.appendedBy) if (ids.length > 0) return true;
    return false;
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
      if (orphaned.length > 0) {
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
        for (const a of appends) {
          const { requestId } = a.message;
          if (inserted.has(requestId) && !this.heldBy.has(requestId)) {
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
