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
export interface BatchCommitHook {
  beforeCommit(trx: Transaction<Database>): Promise<void>;
}

/** One NOTIFY per committed batch on the channel the relay listens to. */
export function notifyRelayOnCommit(channel: string): BatchCommitHook {
  return {
    beforeCommit: async (trx) => {
      await sql`select pg_notify(${channel}, '')`.execute(trx);
    },
  };
}

interface QueuedRun {
  readonly work: (repositories: TransactionalRepositories) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface PendingAppend {
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
 * the batch is in the outbox. Works run concurrently; their appends are flushed together once
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
    try {
      await this.db.transaction().execute(async (trx) => {
        const batchTransaction = new BatchTransaction(trx, batch.length);
        outcomes = await batchTransaction.runAll(batch.map((r) => r.work));
        if (this.commitHook !== undefined && batchTransaction.appendedAny) {
          await this.commitHook.beforeCommit(trx);
        }
      });
    } catch (error) {
      const failure = asUnavailable(error);
      for (const run of batch) run.reject(failure);
      return;
    }
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
        try {
          return await work({ outbox: this.repositoryFor(index) });
        } finally {
          this.waitingOrDone++;
          this.flushIfAllWaiting();
        }
      }),
    );
    await this.flushing;
    // Rows appended by a work that then failed must not commit with the others.
    const orphaned = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? (this.appendedBy.get(i) ?? []) : [],
    );
    if (orphaned.length > 0) {
      await this.trx.deleteFrom('outbox').where('message_id', 'in', orphaned).execute();
    }
    return outcomes;
  }

  private repositoryFor(index: number): OutboxRepository {
    return {
      append: (message) =>
        new Promise<AppendOutcome>((resolve, reject) => {
          this.pending.push({
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

  private flushIfAllWaiting(): void {
    if (this.waitingOrDone < this.size || this.pending.length === 0) return;
    const appends = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      try {
        const inserted = await insertOutboxRows(
          this.trx,
          appends.map((a) => a.message),
        );
        const claimed = new Set<string>();
        for (const a of appends) {
          const first = inserted.has(a.message.requestId) && !claimed.has(a.message.requestId);
          if (first) claimed.add(a.message.requestId);
          a.resolve(first ? 'appended' : 'duplicate-request-id');
        }
      } catch (error) {
        for (const a of appends) a.reject(error);
      }
    });
  }
}
