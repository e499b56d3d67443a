import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import { BatchDeadlockError } from '../../../src/adapters/postgres/batch-transaction';
import { RowRefusedError } from '../../../src/adapters/postgres/database-refusal';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import { outboxMessage } from '../../support/outbox-contract';
import { expectEveryRowQueuedOnce, truncateOutbox } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** What only group commit has: works of one batch waiting for each other's requestIds. */
describe('adapters/postgres/GroupCommitUnitOfWork', () => {
  let database: TestDatabase;
  let unitOfWork: GroupCommitUnitOfWork;
  const batchSizes: number[] = [];
  const splits: number[] = [];

  before(async () => {
    database = await createTestDatabase('wsb_group_commit');
  });
  after(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    await truncateOutbox(database.db);
    batchSizes.length = 0;
    splits.length = 0;
    unitOfWork = new GroupCommitUnitOfWork(
      database.db,
      { maxBatchSize: 100, maxConcurrentBatches: 1 },
      { batchStarted: (n) => batchSizes.push(n), batchSplit: (n) => splits.push(n) },
    );
  });

  const requestIds = async () => {
    await expectEveryRowQueuedOnce(database.db);
    return (await database.db.selectFrom('outbox').select('request_id').orderBy('request_id').execute()).map(
      (r) => r.request_id,
    );
  };

  it('lets a work wait for a requestId held by another work of its batch, which then succeeds', async () => {
    const [, first, second] = await Promise.all([
      unitOfWork.run(() => delay(20)),
      unitOfWork.run(async ({ outbox }) => {
        const outcome = await outbox.append(outboxMessage('gc-wait-ok'));
        await delay(30);
        return outcome;
      }),
      unitOfWork.run(({ outbox }) => outbox.append(outboxMessage('gc-wait-ok'))),
    ]);
    expect(batchSizes).to.deep.equal([1, 2]);
    expect([first, second]).to.deep.equal(['appended', 'duplicate-request-id']);
    expect(await requestIds()).to.deep.equal(['gc-wait-ok']);
  });

  it('refuses a value PostgreSQL cannot store as it is by itself, without aborting or splitting its batch', async () => {
    const hostile: Record<string, Parameters<typeof outboxMessage>[1]> = {
      'gc-nul-client': { clientId: 'vitas\u0000client' },
      'gc-surrogate-client': { clientId: 'vitas-\ud800' },
      'gc-nul-payload': { payload: { ordningsnotifikation: { body: { cprNummer: '8765\u00004321' } } } },
      'gc-surrogate-key': { payload: { ordningsnotifikation: { ['\udc00']: 1 } } },
    };
    const good = Array.from({ length: 8 }, (_, i) => `gc-good-${i}`);
    const results = await Promise.allSettled([
      unitOfWork.run(() => delay(20)),
      ...[...good, ...Object.keys(hostile)].map((id) =>
        unitOfWork.run(({ outbox }) => outbox.append(outboxMessage(id, hostile[id]))),
      ),
    ]);
    expect(batchSizes, 'the hostile ones shared a batch with the good ones').to.deep.equal([1, 12]);
    expect(results.slice(1, 9).map((r) => r.status)).to.deep.equal(good.map(() => 'fulfilled'));
    const refused = results.slice(9).map((r) => (r as PromiseRejectedResult).reason as RowRefusedError);
    expect(refused.map((e) => e).every((e) => e instanceof RowRefusedError)).to.equal(true);
    expect(refused.map((e) => e.details.column)).to.deep.equal([
      'client_id',
      'client_id',
      'payload',
      'payload',
    ]);
    expect(splits, 'no batch ran again in halves').to.deep.equal([]);
    expect(await requestIds()).to.deep.equal([...good].sort());
  });

  it('breaks a cycle of works waiting for each other by failing one append, like a deadlock', async () => {
    const results = await Promise.allSettled([
      unitOfWork.run(() => delay(20)),
      unitOfWork.run(async ({ outbox }) => {
        await outbox.append(outboxMessage('gc-cycle-a'));
        return outbox.append(outboxMessage('gc-cycle-b'));
      }),
      unitOfWork.run(async ({ outbox }) => {
        await outbox.append(outboxMessage('gc-cycle-b'));
        return outbox.append(outboxMessage('gc-cycle-a'));
      }),
    ]);
    expect(batchSizes).to.deep.equal([1, 2]);
    expect(results[1]).to.deep.equal({ status: 'fulfilled', value: 'appended' });
    expect(results[2]?.status).to.equal('rejected');
    expect((results[2] as PromiseRejectedResult).reason).to.be.instanceOf(BatchDeadlockError);
    expect(await requestIds()).to.deep.equal(['gc-cycle-a', 'gc-cycle-b']);
  });
});
