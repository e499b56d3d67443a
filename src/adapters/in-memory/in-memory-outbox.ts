import type {
  AppendOutcome,
  OutboxMessage,
  OutboxRepository,
  TransactionalRepositories,
  UnitOfWork,
} from '../../application/ports';

/** The outbox in memory, for unit tests: same contract as the PostgreSQL one. */
export class InMemoryOutbox {
  readonly rows: OutboxMessage[] = [];
  private readonly requestIds = new Set<string>();

  /** A unit of work whose writes apply only if the work succeeds. */
  readonly unitOfWork: UnitOfWork = {
    run: async <T>(work: (repositories: TransactionalRepositories) => Promise<T>): Promise<T> => {
      const staged: OutboxMessage[] = [];
      const outbox: OutboxRepository = {
        append: (message) => Promise.resolve(this.stage(message, staged)),
      };
      const result = await work({ outbox });
      for (const message of staged) {
        this.rows.push(message);
        this.requestIds.add(message.requestId);
      }
      return result;
    },
  };

  private stage(message: OutboxMessage, staged: OutboxMessage[]): AppendOutcome {
    if (this.requestIds.has(message.requestId) || staged.some((m) => m.requestId === message.requestId)) {
      return 'duplicate-request-id';
    }
    staged.push(message);
    return 'appended';
  }
}
