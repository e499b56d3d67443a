import { InMemoryOutbox } from '../../support/fakes/in-memory-outbox';
import { describeOutboxContract } from '../../support/outbox-contract';

describe('adapters/in-memory/InMemoryOutbox', () => {
  describeOutboxContract('InMemoryOutbox', () => {
    const outbox = new InMemoryOutbox();
    return Promise.resolve({
      unitOfWork: outbox.unitOfWork,
      stored: () => Promise.resolve([...outbox.rows]),
    });
  });
});
