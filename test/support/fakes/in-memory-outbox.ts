import type {
  AppendOutcome,
  OutboxMessage,
  OutboxRepository,
  TransactionalRepositories,
  UnitOfWork,
} from '../../../src/application/intake/ports';

/**
 * The outbox in memory, for unit tests: same contract as the PostgreSQL one (see
 * test/support/outbox-contract.ts). Like PostgreSQL's unique index, a requestId appended by a run
 * that has not finished is held: another run appending it waits for that run, and then gets
 * `duplicate-request-id` if it committed, or the requestId if it failed.
 */
export class InMemoryOutbox {
  readonly rows: OutboxMessage[] = [];
  private readonly requestIds = new Set<string>();
  /** requestIds appended by runs still in progress, with a promise that settles when the run ends. */
  private readonly held = new Map<string, Promise<void>>();

  /** A unit of work whose writes apply only if the work succeeds. */
  readonly unitOfWork: UnitOfWork = {
    run: async <T>(work: (repositories: TransactionalRepositories) => Promise<T>): Promise<T> => {
      const staged: OutboxMessage[] = [];
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const outbox: OutboxRepository = {
        append: (message) => this.stage(message, staged, finished),
      };
      try {
        const result = await work({ outbox });
        for (const message of staged) {
          this.rows.push(message);
          this.requestIds.add(message.requestId);
        }
        return result;
      } finally {
        for (const message of staged) this.held.delete(message.requestId);
        finish();
      }
    },
  };

  private async stage(
    message: OutboxMessage,
    staged: OutboxMessage[],
    runFinished: Promise<void>,
  ): Promise<AppendOutcome> {
    for (;;) {
      if (this.requestIds.has(message.requestId) || staged.some((m) => m.requestId === message.requestId)) {
        return 'duplicate-request-id';
      }
      const holder = this.held.get(message.requestId);
      if (holder === undefined) break;
      await holder;
    }
    this.held.set(message.requestId, runFinished);
    staged.push(message);
    return 'appended';
  }
}
