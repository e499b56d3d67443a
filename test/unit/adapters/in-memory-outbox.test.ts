import { InMemoryOutbox } from '../../../src/adapters/in-memory/in-memory-outbox';
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
