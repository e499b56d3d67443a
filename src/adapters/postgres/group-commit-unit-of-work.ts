import type { ControlledTransaction, Kysely } from 'kysely';
import {
  StorageUnavailableError,
  type TransactionalRepositories,
  type UnitOfWork,
} from '../../application/intake/ports';
import { BatchTransaction } from './batch-transaction';
import { type CommitOutcome, type InDoubtSettings, resolveCommitInDoubt } from './commit-in-doubt';
import { isDatabaseUnavailable } from './connection';
import type { Database } from './database';
import {
  isSharedFailure,
  isTransient,
  MAX_TRANSIENT_RETRIES,
  type RefusalDetails,
  refusalDetails,
  RowRefusedError,
  sqlState,
} from './database-refusal';
import type { BackendTransaction } from './kysely-outbox-repository';
import type { BatchCommitHook } from './notify-relay-after-commit';

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

interface QueuedRun {
  readonly work: (repositories: TransactionalRepositories) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
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

  /** Units of work waiting for a batch to take them (none while fewer batches than allowed are open). */
  get waiting(): number {
    return this.queue.length;
  }

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
        this.settle(batch, attempt.outcomes, attempt.appendedMessageIds);
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
          this.settle(batch, attempt.outcomes, attempt.appendedMessageIds);
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
    appended: readonly string[],
  ): void {
    if (appended.length > 0) this.commitHook?.afterCommit(appended);
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
