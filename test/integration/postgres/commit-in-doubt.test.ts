import { expect } from 'chai';
import type { Kysely } from 'kysely';
import type { Database } from '../../../src/adapters/postgres/database';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import type { CommitOutcome } from '../../../src/adapters/postgres/commit-in-doubt';
import { ordningsnotifikation } from '../../support/fixtures';
import { ORDNINGS_PATH, post, type RunningIntake, startIntake } from '../../support/intake';
import { behindProxy, createTestDatabase, type TestDatabase } from '../../support/postgres';
import type { TcpProxy } from '../../support/tcp-proxy';
import { TestIdentityProvider } from '../../support/tokens';

/**
 * The connection is lost exactly at COMMIT: the gateway cannot know from the connection whether
 * the batch is stored, and must find out before it answers.
 */
describe('intake when the connection is lost during COMMIT (commit in doubt)', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let intake: RunningIntake;
  let token: string;
  let db: Kysely<Database>;
  let closeDb: () => Promise<void>;
  const resolved: CommitOutcome[] = [];

  before(async () => {
    database = await createTestDatabase('wsb_in_doubt');
    const behind = await behindProxy(database, {
      connectionTimeoutMs: 2000,
      applicationName: 'wsb-test-in-doubt',
    });
    ({ proxy, db } = behind);
    closeDb = behind.close;
    const idp = await TestIdentityProvider.create();
    token = await idp.token();
    intake = await startIntake({
      unitOfWork: new GroupCommitUnitOfWork(
        db,
        { maxBatchSize: 50, maxConcurrentBatches: 2, inDoubt: { timeoutMs: 5000, graceMs: 200 } },
        { commitInDoubt: (outcome) => resolved.push(outcome) },
      ),
      authenticator: idp.authenticator(),
    });
  });

  after(async () => {
    await intake.close();
    await closeDb();
    await database.drop();
  });

  beforeEach(() => {
    resolved.length = 0;
  });

  const rowsFor = async (requestId: string) =>
    database.db.selectFrom('outbox').select('message_id').where('request_id', '=', requestId).execute();
  const send = (requestId: string) =>
    post(intake.baseUrl, ORDNINGS_PATH, { token, requestId, body: ordningsnotifikation() });

  it('answers 200 when the server committed but its answer was lost, and stores exactly one row', async () => {
    const cut = proxy.cutAtNextCommit('after-forwarding');
    const response = await send('in-doubt-committed');
    await cut;
    expect(response.status, response.text).to.equal(200);
    expect(resolved).to.deep.equal(['stored']);
    expect(await rowsFor('in-doubt-committed')).to.have.length(1);
    // The retry a client makes after a lost answer: already accepted.
    expect((await send('in-doubt-committed')).status).to.equal(412);
  });

  it('answers 503 when the COMMIT never reached the server, ends its transaction, and leaves the requestId free', async () => {
    const cut = proxy.cutAtNextCommit('instead-of-forwarding');
    const response = await send('in-doubt-lost');
    await cut;
    expect(response.status, response.text).to.equal(503);
    expect(response.headers.get('retry-after')).to.equal('5');
    expect(resolved).to.deep.equal(['absent']);
    expect(await rowsFor('in-doubt-lost')).to.have.length(0);
    // The backend that held the transaction (and the requestId's index entry) was terminated, so
    // the retry does not wait for it.
    const retried = await send('in-doubt-lost');
    expect(retried.status, retried.text).to.equal(200);
    expect(await rowsFor('in-doubt-lost')).to.have.length(1);
  });

  it('answers each request of a batch cut at COMMIT for the batch as a whole', async () => {
    const cut = proxy.cutAtNextCommit('after-forwarding');
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => send(`in-doubt-batch-${i}`)));
    await cut;
    expect(responses.map((r) => r.status)).to.deep.equal(Array.from({ length: 20 }, () => 200));
    for (let i = 0; i < 20; i++) expect(await rowsFor(`in-doubt-batch-${i}`)).to.have.length(1);
  });
});
