import { sql, type Transaction } from 'kysely';
import type {
  AppendOutcome,
  OutboxMessage,
  OutboxRepository,
  TransactionalRepositories,
} from '../../application/intake/ports';
import type { Database } from './database';
import { RowRefusedError } from './database-refusal';
import {
  type BackendTransaction,
  insertCheckedOutboxRows,
  unstorableColumn,
} from './kysely-outbox-repository';

interface PendingAppend {
  /** The work of the batch that appends. */
  readonly index: number;
  readonly message: OutboxMessage;
  readonly resolve: (outcome: AppendOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/** The works of one batch inside its transaction, and the appends they are waiting on. */
export class BatchTransaction {
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
            await sql`
              with gone as (delete from outbox where message_id = any(${orphaned}::uuid[]) returning seq)
              delete from outbox_pending where seq in (select seq from gone)`.execute(this.trx);
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
    const appends: PendingAppend[] = [];
    for (const a of this.pending) {
      // Refused here, by itself: sent along, it would abort the transaction of the whole batch.
      const column = unstorableColumn(a.message);
      if (column === undefined) appends.push(a);
      else a.reject(new RowRefusedError({ sqlState: undefined, error: 'UnstorableValue', column }));
    }
    this.pending = [];
    if (appends.length === 0) return;
    this.flushing = this.flushing.then(async () => {
      if (this.failure !== undefined) {
        for (const a of appends) a.reject(this.failure.error);
        return;
      }
      try {
        const inserted = await insertCheckedOutboxRows(
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
