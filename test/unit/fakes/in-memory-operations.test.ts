import { InMemoryOperations } from '../../support/fakes/in-memory-operations';
import { inMemoryOperationsSubject } from '../../support/in-memory-operations';
import { describeOperationsContract } from '../../support/operations-contract';

describe('fakes/InMemoryOperations', () => {
  describeOperationsContract('InMemoryOperations', () =>
    Promise.resolve(inMemoryOperationsSubject(new InMemoryOperations())),
  );
});
