import { expect } from 'chai';
import { ParkOutboxMessage } from '../../../src/application/operations/park-outbox-message';
import { RedactPayloads } from '../../../src/application/operations/redact-payloads';
import { ReplayOutboxMessages } from '../../../src/application/operations/replay-outbox-messages';
import { ReportOutboxStatistics } from '../../../src/application/operations/report-outbox-statistics';
import { ShowOutboxMessage } from '../../../src/application/operations/show-outbox-message';
import { type OutboxUseCases, runOutboxCommand } from '../../../src/adapters/cli/outbox-cli';
import { KyselyOperatorUnitOfWork } from '../../../src/adapters/postgres/kysely-operator-unit-of-work';
import { KyselyOutboxReadModel } from '../../../src/adapters/postgres/kysely-outbox-read-model';
import { KyselyPayloadRedactionStore } from '../../../src/adapters/postgres/kysely-payload-redaction-store';
import { systemClock } from '../../../src/adapters/system/system-clock';
import { FICTITIOUS_CPR, ordningsnotifikation } from '../../support/fixtures';
import { accept, deliver, receivedAgo, truncateOutbox, updatePending } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const ENTITY_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const ENTITY_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

describe('outbox operator commands against PostgreSQL', () => {
  let database: TestDatabase;
  let useCases: OutboxUseCases;

  before(async () => {
    database = await createTestDatabase();
    const readModel = new KyselyOutboxReadModel(database.db);
    const uow = new KyselyOperatorUnitOfWork(database.db);
    useCases = {
      stats: new ReportOutboxStatistics(readModel),
      show: new ShowOutboxMessage(readModel),
      replay: new ReplayOutboxMessages(uow),
      park: new ParkOutboxMessage(uow),
      redact: new RedactPayloads(
        new KyselyPayloadRedactionStore(database.db),
        systemClock,
        { redacted: () => undefined },
        uow,
        { retentionDays: 30, batchSize: 500 },
      ),
    };
  });
  after(async () => database.drop());
  beforeEach(async () => truncateOutbox(database.db));

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOutboxCommand(
      args,
      useCases,
      { out: (t) => out.push(t), err: (t) => err.push(t) },
      'os-user',
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const row = (id: string) =>
    database.db.selectFrom('outbox_audit').selectAll().where('message_id', '=', id).executeTakeFirstOrThrow();
  /** When the relay may try an undelivered message next (outbox_pending; a delivered one has none). */
  const nextAttemptAt = async (id: string) =>
    (
      await database.db
        .selectFrom('outbox_pending')
        .innerJoin('outbox', 'outbox.seq', 'outbox_pending.seq')
        .select('outbox_pending.next_attempt_at')
        .where('outbox.message_id', '=', id)
        .executeTakeFirstOrThrow()
    ).next_attempt_at;
  const actions = () => database.db.selectFrom('operator_action').selectAll().orderBy('id').execute();
  const ordning = (entity: string) =>
    accept(database.db, 'Ordningsnotifikation', ordningsnotifikation({ eksternIdentifier: entity }));

  it('stats: counts by status, oldest pending age and blocked entities', async () => {
    const a1 = await ordning(ENTITY_A);
    await ordning(ENTITY_A);
    const b1 = await ordning(ENTITY_B);
    const delivered = await ordning(ENTITY_B);
    await deliver(database.db, delivered);
    await receivedAgo(database.db, a1, '2 hours');
    await updatePending(database.db, b1, { parked: true });
    await updatePending(database.db, a1, { attempts: 3 });

    const { code, out } = await cli('stats', '--json');
    expect(code).to.equal(0);
    const stats = JSON.parse(out) as {
      countByStatus: Record<string, number>;
      oldestPendingAgeSeconds: number;
      blockedEntities: number;
    };
    expect(stats.countByStatus).to.deep.equal({ pending: 2, parked: 1, delivered: 1 });
    expect(stats.oldestPendingAgeSeconds).to.be.within(7190, 7300);
    expect(stats.blockedEntities).to.equal(2);

    const text = await cli('stats');
    expect(text.out)
      .to.match(/pending\s+2/)
      .and.match(/oldest pending age\s+2h 0m|oldest pending age\s+2h/);
  });

  it('show: metadata by message id or request id; the payload only with --payload', async () => {
    const id = await ordning(ENTITY_A);
    const { request_id: requestId } = await row(id);
    const byMessage = await cli('show', id);
    expect(byMessage.code).to.equal(0);
    expect(byMessage.out).to.include(requestId).and.include('pending');
    expect(byMessage.out).to.not.include(FICTITIOUS_CPR);
    const byRequest = await cli('show', requestId, '--json');
    const [shown] = JSON.parse(byRequest.out) as Array<Record<string, unknown>>;
    expect(shown).to.include({ messageId: id, status: 'pending' });
    expect(shown).to.not.have.property('payload');
    const withPayload = await cli('show', id, '--payload');
    expect(withPayload.out).to.include(FICTITIOUS_CPR);
    expect((await cli('show', 'no-such-request')).code).to.equal(1);
  });

  it('park then replay one message, each recorded with who, when and why in the same transaction', async () => {
    const id = await ordning(ENTITY_A);
    const parked = await cli('park', id, '--reason', 'consumer rejects it', '--actor', 'alice');
    expect(parked).to.include({ code: 0 });
    expect(await row(id)).to.include({ status: 'parked' });

    await updatePending(database.db, id, { attempts: 7, next_attempt_at: new Date(Date.now() + 86_400_000) });
    const replayed = await cli('replay', id, '--reason', 'consumer fixed');
    expect(replayed.code).to.equal(0);
    const after = await row(id);
    expect(after).to.include({ status: 'pending', attempts: 0, last_error: null });
    expect((await nextAttemptAt(id)).getTime()).to.be.at.most(Date.now() + 1000);

    const [park, replay] = await actions();
    expect(park).to.include({
      action: 'park',
      message_id: id,
      actor: 'alice',
      reason: 'consumer rejects it',
      dry_run: false,
    });
    expect(park?.request_id).to.equal(after.request_id);
    expect(replay).to.include({
      action: 'replay',
      message_id: id,
      actor: 'os-user',
      reason: 'consumer fixed',
    });
    expect(replay?.details).to.include({ previousStatus: 'parked', previousAttempts: 7 });
    expect(replay?.at).to.be.instanceOf(Date);
  });

  it('replays a stuck pending row, refuses a delivered one, and requires a reason', async () => {
    const stuck = await ordning(ENTITY_A);
    await updatePending(database.db, stuck, { attempts: 12, last_error: 'timeout' });
    expect((await cli('replay', stuck, '--reason', 'stuck')).code).to.equal(0);
    expect(await row(stuck)).to.include({ attempts: 0, status: 'pending' });

    const delivered = await ordning(ENTITY_B);
    await deliver(database.db, delivered);
    const refused = await cli('replay', delivered, '--reason', 'again');
    expect(refused.code).to.equal(1);
    expect(refused.err).to.include('delivered');
    expect(await row(delivered)).to.include({ status: 'delivered' });

    expect((await cli('park', delivered, '--reason', 'x')).code).to.equal(1);
    expect((await cli('replay', stuck)).code).to.equal(2);
    expect((await cli('park', '00000000-0000-4000-8000-000000000000', '--reason', 'x')).code).to.equal(1);
    expect(await actions()).to.have.length(1);
  });

  it('replay --all-parked, with --dry-run first: one bulk record listing the message ids', async () => {
    const ids = [await ordning(ENTITY_A), await ordning(ENTITY_B), await ordning(ENTITY_B)];
    for (const id of ids.slice(0, 2)) await updatePending(database.db, id, { parked: true, attempts: 5 });
    const dry = await cli('replay', '--all-parked', '--reason', 'broker fixed', '--dry-run');
    expect(dry.code).to.equal(0);
    expect(dry.out).to.include('would replay 2');
    expect(await row(ids[0]!)).to.include({ status: 'parked' });

    const real = await cli('replay', '--all-parked', '--reason', 'broker fixed');
    expect(real.out).to.include('replayed 2');
    for (const id of ids) expect(await row(id)).to.include({ status: 'pending', attempts: 0 });

    const [dryAction, realAction] = await actions();
    expect(dryAction).to.include({ action: 'replay', message_id: null, dry_run: true });
    expect(realAction).to.include({ action: 'replay', message_id: null, dry_run: false });
    expect(realAction?.details).to.deep.include({ scope: 'all-parked', count: 2 });
    const linked = await database.db
      .selectFrom('operator_action_target')
      .select('message_id')
      .where('action_id', '=', realAction!.id)
      .execute();
    expect(linked.map((l) => l.message_id)).to.have.members(ids.slice(0, 2));
  });

  it('rejects usage errors with exit code 2', async () => {
    expect((await cli('replay', '--reason', 'x')).code).to.equal(2);
    expect((await cli('replay', 'a', 'b', '--reason', 'x')).code).to.equal(2);
    expect((await cli('stats', '--bogus')).code).to.equal(2);
    expect((await cli('frobnicate')).code).to.equal(2);
  });

  it('redact: one sweep now, or a dry run', async () => {
    const id = await ordning(ENTITY_A);
    await deliver(database.db, id, new Date(Date.now() - 31 * 86_400_000));
    const dry = await cli('redact', '--dry-run');
    expect(dry.out).to.include('would redact 1 payload(s) past retention');
    expect((await row(id)).payload).to.not.equal(null);
    const real = await cli('redact', '--actor', 'bob');
    expect(real.out).to.include('redacted 1 payload(s) past retention');
    expect((await row(id)).payload).to.equal(null);
    const recorded = await actions();
    expect(recorded.map((a) => [a.action, a.dry_run, a.actor])).to.deep.equal([
      ['redact', true, 'os-user'],
      ['redact', false, 'bob'],
    ]);
  });
});
