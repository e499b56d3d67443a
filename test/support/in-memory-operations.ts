import type { InMemoryOperations } from './fakes/in-memory-operations';
import type { OperatorRepositories, OperatorUnitOfWork } from '../../src/application/operations/ports';
import type { OutboxMessage } from '../../src/application/intake/ports';
import type { OperationsSubject } from './operations-contract';

/** Counts how often a use case opens a unit of work, to prove a refused command never does. */
export class CountingOperatorUnitOfWork implements OperatorUnitOfWork {
  runs = 0;
  constructor(private readonly inner: OperatorUnitOfWork) {}
  run<T>(work: (repositories: OperatorRepositories) => Promise<T>): Promise<T> {
    this.runs++;
    return this.inner.run(work);
  }
}

/** Appends `message` through intake's unit of work, as AcceptNotification does; returns its message id. */
export async function append(operations: InMemoryOperations, message: OutboxMessage): Promise<string> {
  const outcome = await operations.outbox.unitOfWork.run(({ outbox }) => outbox.append(message));
  if (outcome !== 'appended') throw new Error(`not appended: ${outcome}`);
  return message.messageId;
}

/** The operations ports of `operations`: the contract suites' in-memory subject. */
export function inMemoryOperationsSubject(operations: InMemoryOperations): OperationsSubject {
  return {
    readModel: operations.readModel,
    unitOfWork: operations.unitOfWork,
    redaction: operations.redactionStore,
    append: async (message) => {
      await append(operations, message);
    },
    deliver: (messageId, deliveredAt) => Promise.resolve(operations.markDelivered(messageId, deliveredAt)),
    fail: (messageId, lastError) => Promise.resolve(operations.markFailed(messageId, lastError)),
    parkDirectly: (messageId, lastError) => Promise.resolve(operations.markParked(messageId, lastError)),
    actions: () => Promise.resolve([...operations.actions]),
  };
}
