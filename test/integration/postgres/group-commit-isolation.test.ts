import { expect } from 'chai';
import { sql } from 'kysely';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import { ordningsnotifikation } from '../../support/fixtures';
import { ORDNINGS_PATH, post, type RunningIntake, startIntake } from '../../support/intake';
import { expectEveryRowQueuedOnce } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { TestIdentityProvider } from '../../support/tokens';

/**
 * One request the database refuses, sent among 99 good ones so that it lands inside their batch:
 * only it may fail. The refusal is a trigger this test installs in its own database, raising for
 * one marked requestId — a stand-in for any value PostgreSQL will not take.
 */
describe('group commit: one request the database refuses never fails the others in its batch', () => {
  let database: TestDatabase;
  let token: string;
  let idp: TestIdentityProvider;

  before(async () => {
    database = await createTestDatabase('wsb_isolation');
    await sql`
      create function refuse_marked() returns trigger language plpgsql as $$
      begin
        if new.request_id like 'poison-%' then
          raise exception 'refused by the test trigger' using errcode = 'P0001', column = 'request_id';
        end if;
        return new;
      end $$`.execute(database.db);
    await sql`create trigger refuse_marked before insert on outbox for each row execute function refuse_marked()`.execute(
      database.db,
    );
    idp = await TestIdentityProvider.create();
    token = await idp.token();
  });

  after(async () => {
    await database.drop();
  });

  for (const concurrentBatches of [1, 2]) {
    it(`answers 99 × 200 and 1 × 500 with INTAKE_CONCURRENT_BATCHES=${concurrentBatches}, and loses no row`, async () => {
      const splits: number[] = [];
      let started = 0;
      const unitOfWork = new GroupCommitUnitOfWork(
        database.db,
        { maxBatchSize: 100, maxConcurrentBatches: concurrentBatches },
        { batchStarted: () => started++, batchSplit: (size) => splits.push(size) },
      );
      const intake: RunningIntake = await startIntake({ unitOfWork, authenticator: idp.authenticator() });
      // A lock that holds every INSERT into outbox: the first batches wait on it while the other
      // requests queue, so the poisoned one is sure to share a batch with good ones. Without it,
      // the arrival order decides, and the poison sometimes had a batch to itself.
      let release = (): void => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked = (): void => {};
      const lockHeld = new Promise<void>((resolve) => (locked = resolve));
      const holder = database.db.transaction().execute(async (trx) => {
        await sql`lock table outbox in exclusive mode`.execute(trx);
        locked();
        await released;
      });
      try {
        await lockHeld;
        const tag = `c${concurrentBatches}`;
        const ids = Array.from({ length: 100 }, (_, i) => (i === 37 ? `poison-${tag}` : `good-${tag}-${i}`));
        const send = (requestId: string) =>
          post(intake.baseUrl, ORDNINGS_PATH, { token, requestId, body: ordningsnotifikation() });
        // Fill every batch slot with one good request, each blocked on the lock…
        const blockers = ids.slice(0, concurrentBatches).map(send);
        await until(() => started === concurrentBatches);
        // …so the other 98, the poison among them, queue and then go as one batch.
        const rest = ids.slice(concurrentBatches).map(send);
        await until(() => unitOfWork.waiting === ids.length - concurrentBatches);
        release();
        await holder;
        const responses = await Promise.all([...blockers, ...rest]);
        const statuses = new Map(ids.map((id, i) => [id, responses[i]?.status]));
        expect(statuses.get(`poison-${tag}`)).to.equal(500);
        const good = ids.filter((id) => id.startsWith('good-'));
        expect(good.map((id) => statuses.get(id))).to.deep.equal(good.map(() => 200));
        const stored = await database.db
          .selectFrom('outbox')
          .select('request_id')
          .where('request_id', 'like', `%-${tag}%`)
          .execute();
        expect(stored.map((r) => r.request_id).sort()).to.deep.equal([...good].sort());
        await expectEveryRowQueuedOnce(database.db);
        // The refusal landed inside the batch of 98, which was split to find it.
        expect(splits[0], 'the first split batch').to.equal(ids.length - concurrentBatches);
        // The 500's problem says nothing of the database or the value.
        const poison = responses[37];
        expect(poison?.text).to.not.match(/SQLSTATE|P0001|trigger|request_id|select|insert/i);
      } finally {
        release();
        await holder.catch(() => undefined);
        await intake.close();
      }
    });
  }
});

/** Polls a condition that the gateway's own progress makes true; fails after ten seconds. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the intake to queue the requests');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
