import { InMemoryOutbox } from '../../support/fakes/in-memory-outbox';
import { describeOutboxContract } from '../../support/outbox-contract';

describe('fakes/InMemoryOutbox', () => {
  describeOutboxContract('InMemoryOutbox', () => {
    const outbox = new InMemoryOutbox();
    return Promise.resolve({
      unitOfWork: outbox.unitOfWork,
      stored: () => Promise.resolve([...outbox.rows]),
    });
  });
});
