import { InMemoryOperations } from '../../support/fakes/in-memory-operations';
import { InMemoryOutboxExplorer } from '../../support/fakes/in-memory-outbox-explorer';
import { inMemoryOperationsSubject } from '../../support/in-memory-operations';
import { describeOutboxExplorerContract } from '../../support/outbox-explorer-contract';

describe('fakes/InMemoryOutboxExplorer', () => {
  describeOutboxExplorerContract('InMemoryOutboxExplorer', () => {
    const operations = new InMemoryOperations();
    const explorer = new InMemoryOutboxExplorer(operations);
    return Promise.resolve({
      ...inMemoryOperationsSubject(operations),
      explorer,
      backOff: (messageId, lastError, until) =>
        Promise.resolve(operations.markFailed(messageId, lastError, until)),
      connect: (applicationName) => {
        const process = {
          applicationName,
          clientAddress: null,
          pid: Number(/ pid ([0-9]+)$/.exec(applicationName)?.[1]),
          connections: 1,
          since: new Date(),
        };
        explorer.processes.push(process);
        return Promise.resolve(() => {
          explorer.processes = explorer.processes.filter((p) => p !== process);
          return Promise.resolve();
        });
      },
    });
  });
});
