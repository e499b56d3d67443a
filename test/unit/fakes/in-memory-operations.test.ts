import { InMemoryOperations } from '../../support/fakes/in-memory-operations';
import { describeOperationsContract } from '../../support/operations-contract';

describe('fakes/InMemoryOperations', () => {
  describeOperationsContract('InMemoryOperations', () => {
    const operations = new InMemoryOperations();
    return Promise.resolve({
      readModel: operations.readModel,
      unitOfWork: operations.unitOfWork,
      redaction: operations.redactionStore,
      append: async (message) => {
        const outcome = await operations.outbox.unitOfWork.run(({ outbox }) => outbox.append(message));
        if (outcome !== 'appended') throw new Error(`not appended: ${outcome}`);
      },
      deliver: (messageId, deliveredAt) => Promise.resolve(operations.markDelivered(messageId, deliveredAt)),
      fail: (messageId, lastError) => Promise.resolve(operations.markFailed(messageId, lastError)),
      parkDirectly: (messageId, lastError) => Promise.resolve(operations.markParked(messageId, lastError)),
      actions: () => Promise.resolve([...operations.actions]),
    });
  });
});
