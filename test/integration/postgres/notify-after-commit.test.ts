import { expect } from 'chai';
import pg from 'pg';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import { notifyRelayAfterCommit } from '../../../src/adapters/postgres/notify-relay-after-commit';
import { outboxMessage } from '../../support/outbox-contract';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** The relay's wake-up: sent after intake's commit, so a woken relay always finds the rows. */
describe('adapters/postgres/notifyRelayAfterCommit', () => {
  let database: TestDatabase;
  let listener: pg.Client;
  const channel = 'wsb_outbox_test';
  const visibleWhenNotified: number[] = [];

  before(async () => {
    database = await createTestDatabase('wsb_notify');
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    await listener.query(`listen ${channel}`);
    listener.on('notification', () => {
      // Read on another connection: what a relay woken now would see.
      void database.pool
        .query<{ n: string }>('select count(*) as n from outbox')
        .then((r) => visibleWhenNotified.push(Number(r.rows[0]?.n)));
    });
  });
  after(async () => {
    await listener.end();
    await database.drop();
  });

  it('notifies after every batch that appended rows has committed, coalescing under load, never before the rows are visible', async () => {
    const unitOfWork = new GroupCommitUnitOfWork(
      database.db,
      { maxBatchSize: 10, maxConcurrentBatches: 4 },
      undefined,
      notifyRelayAfterCommit(database.db, channel),
    );
    await unitOfWork.run(({ outbox }) => outbox.append(outboxMessage('notify-1')));
    await waitUntil(() => visibleWhenNotified.length >= 1);
    expect(visibleWhenNotified[0]).to.equal(1);

    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        unitOfWork.run(({ outbox }) => outbox.append(outboxMessage(`notify-b-${i}`))),
      ),
    );
    await waitUntil(() => visibleWhenNotified.includes(201));
    const batches = visibleWhenNotified.length - 1;
    expect(batches, 'coalesced: fewer notifications than the 20+ batches').to.be.lessThan(200);

    // Let the trailing, coalesced notifications of the burst arrive before counting.
    let settled = -1;
    while (settled !== visibleWhenNotified.length) {
      settled = visibleWhenNotified.length;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const before = visibleWhenNotified.length;
    await unitOfWork.run(() => Promise.resolve('nothing appended'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(visibleWhenNotified.length, 'no notification for a batch that appended nothing').to.equal(before);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
