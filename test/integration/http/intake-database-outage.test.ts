import { expect } from 'chai';
import type { Kysely } from 'kysely';
import type { Database } from '../../../src/adapters/postgres/database';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import { ordningsnotifikation } from '../../support/fixtures';
import { ORDNINGS_PATH, post, type RunningIntake, startIntake } from '../../support/intake';
import { behindProxy, createTestDatabase, type TestDatabase } from '../../support/postgres';
import type { TcpProxy } from '../../support/tcp-proxy';
import { TestIdentityProvider } from '../../support/tokens';

describe('intake when PostgreSQL is unreachable', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let intake: RunningIntake;
  let token: string;
  let db: Kysely<Database>;
  let closeDb: () => Promise<void>;

  before(async () => {
    database = await createTestDatabase();
    const behind = await behindProxy(database, {
      connectionTimeoutMs: 500,
      applicationName: 'wsb-test-outage',
    });
    ({ proxy, db } = behind);
    closeDb = behind.close;
    const idp = await TestIdentityProvider.create();
    token = await idp.token();
    intake = await startIntake({
      unitOfWork: new GroupCommitUnitOfWork(db, { maxBatchSize: 50, maxConcurrentBatches: 2 }),
      authenticator: idp.authenticator(),
    });
  });

  after(async () => {
    await intake.close();
    await closeDb();
    await database.drop();
  });

  const rows = async () => database.db.selectFrom('outbox').select('request_id').execute();

  it('answers 503 with Retry-After while the database is down, accepts nothing, and recovers without a restart', async () => {
    const ok = await post(intake.baseUrl, ORDNINGS_PATH, {
      token,
      requestId: 'outage-before',
      body: ordningsnotifikation(),
    });
    expect(ok.status).to.equal(200);

    proxy.cut();
    const during = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post(intake.baseUrl, ORDNINGS_PATH, {
          token,
          requestId: `outage-during-${i}`,
          body: ordningsnotifikation(),
        }),
      ),
    );
    for (const response of during) {
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.equal('5');
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(response.text).to.not.match(/ECONNREFUSED|select|insert|at .*\.ts/i);
    }
    expect((await rows()).map((r) => r.request_id)).to.deep.equal(['outage-before']);

    proxy.restore();
    // The pool may still hand out a connection that died with the cut: the first try may be 503.
    let after = await post(intake.baseUrl, ORDNINGS_PATH, {
      token,
      requestId: 'outage-after',
      body: ordningsnotifikation(),
    });
    for (let attempt = 0; after.status === 503 && attempt < 5; attempt++) {
      after = await post(intake.baseUrl, ORDNINGS_PATH, {
        token,
        requestId: 'outage-after',
        body: ordningsnotifikation(),
      });
    }
    expect(after.status).to.equal(200);
    // The same requestIds that got 503 are still free: nothing was accepted for them.
    const retried = await post(intake.baseUrl, ORDNINGS_PATH, {
      token,
      requestId: 'outage-during-0',
      body: ordningsnotifikation(),
    });
    expect(retried.status).to.equal(200);
  });
});
