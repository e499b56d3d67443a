import { expect } from 'chai';
import { InMemoryOperations } from '../../../support/fakes/in-memory-operations';
import { ReportOutboxStatistics } from '../../../../src/application/operations/report-outbox-statistics';
import { FICTITIOUS_CPR, FICTITIOUS_CPR_2 } from '../../../support/fixtures';
import { append } from '../../../support/operations-fixtures';
import { FixedClock } from '../../../support/fakes/fixed-clock';
import {
  ENTITY_W,
  ENTITY_X,
  ENTITY_Y,
  ENTITY_Z,
  gdprMessage,
  ordningMessage,
} from '../../../support/operations-contract';

const NOW = new Date('2025-03-10T08:00:00.000Z');

describe('application/ReportOutboxStatistics', () => {
  let clock: FixedClock;
  let operations: InMemoryOperations;
  let stats: ReportOutboxStatistics;

  beforeEach(() => {
    clock = new FixedClock(NOW);
    operations = new InMemoryOperations(undefined, clock);
    stats = new ReportOutboxStatistics(operations.readModel);
  });

  const received = (secondsAgo: number) => ({ receivedAt: new Date(NOW.getTime() - secondsAgo * 1000) });
  const ordning = (entity: string, secondsAgo: number) =>
    append(operations, ordningMessage(entity, FICTITIOUS_CPR, received(secondsAgo)));

  it('reports an empty outbox', async () => {
    expect(await stats.execute('exact')).to.deep.equal({
      countByStatus: { pending: 0, delivered: 0, parked: 0 },
      oldestPendingAgeSeconds: null,
      oldestParkedAgeSeconds: null,
      blockedEntities: 0,
      gdprErasuresWaiting: 0,
      deliveredEstimated: false,
    });
  });

  it('counts by status, ages the oldest pending and parked row, counts blocked entities and waiting erasures', async () => {
    operations.markDelivered(await ordning(ENTITY_X, 900));
    operations.markParked(await ordning(ENTITY_X, 600), 'unroutable: no binding');
    await ordning(ENTITY_X, 30);
    operations.markFailed(await ordning(ENTITY_Y, 300), 'timeout: no confirm');
    await ordning(ENTITY_Z, 200);
    operations.markFailed(await ordning(ENTITY_Z, 100), 'timeout: no confirm');
    const erasure = await append(operations, gdprMessage(ENTITY_W, [], [FICTITIOUS_CPR_2]));
    operations.markDelivered(erasure);

    expect(await stats.execute('exact')).to.deep.equal({
      countByStatus: { pending: 4, delivered: 2, parked: 1 },
      oldestPendingAgeSeconds: 300,
      oldestParkedAgeSeconds: 600,
      blockedEntities: 2,
      gdprErasuresWaiting: 1,
      deliveredEstimated: false,
    });

    clock.advance(60_000);
    await operations.redactionStore.redactErasure(erasure);
    expect(await stats.execute('exact')).to.deep.include({
      oldestPendingAgeSeconds: 360,
      oldestParkedAgeSeconds: 660,
      gdprErasuresWaiting: 0,
    });
  });

  it('never reports a negative age for a row received after the clock', async () => {
    await ordning(ENTITY_X, -5);
    expect((await stats.execute('exact')).oldestPendingAgeSeconds).to.equal(0);
  });
});
