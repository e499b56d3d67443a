import { expect } from 'chai';
import { ParkOutboxMessage } from '../../../src/application/operations/park-outbox-message';
import { RedactPayloads } from '../../../src/application/operations/redact-payloads';
import { ReplayOutboxMessages } from '../../../src/application/operations/replay-outbox-messages';
import { ReportOutboxStatistics } from '../../../src/application/operations/report-outbox-statistics';
import { RevealPayload } from '../../../src/application/operations/reveal-payload';
import { type OutboxUseCases, runOutboxCommand } from '../../../src/adapters/cli/outbox-cli';
import { KyselyOutboxExplorer } from '../../../src/adapters/postgres/kysely-outbox-explorer';
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
      explorer: new KyselyOutboxExplorer(database.db),
      reveal: new RevealPayload(readModel, uow),
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

  it('show: metadata by message id or request id; the payload only with --payload and --reason, logged as a reveal', async () => {
    const id = await ordning(ENTITY_A);
    const { request_id: requestId } = await row(id);
    const byMessage = await cli('show', id);
    expect(byMessage.code).to.equal(0);
    expect(byMessage.out).to.include(requestId).and.include('pending');
    expect(byMessage.out).to.not.include(FICTITIOUS_CPR);
    const byRequest = await cli('show', requestId, '--json');
    const shown = JSON.parse(byRequest.out) as Record<string, unknown>;
    expect(shown).to.include({ messageId: id, status: 'pending' });
    expect(shown).to.not.have.property('payload');
    expect(shown.hold).to.deep.equal({ _tag: 'Due' });

    const noReason = await cli('show', id, '--payload');
    expect(noReason.code).to.equal(2);
    expect(noReason.err).to.include('--payload needs --reason');
    expect(noReason.out).to.not.include(FICTITIOUS_CPR);
    expect(await actions()).to.have.length(0);

    // Options before the id, the id between them: the order does not matter.
    const withPayload = await cli(
      'show',
      '--payload',
      '--reason',
      'case 4711 asks',
      requestId,
      '--actor',
      'carol',
    );
    expect(withPayload.code, withPayload.err).to.equal(0);
    expect(withPayload.out).to.include(FICTITIOUS_CPR);
    expect(withPayload.err).to.include(`request id ${requestId} is message ${id}`);
    const [reveal] = await actions();
    expect(reveal).to.include({ action: 'reveal', message_id: id, actor: 'carol', reason: 'case 4711 asks' });
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

  /** The message ids of `outbox list`'s table rows (not those its "waits for" lines name). */
  const listed = (out: string) =>
    out
      .split('\n')
      .filter((l) => /^\d/.test(l))
      .map((l) => l.split(/\s+/)[1]);
  const setRequestId = (id: string, requestId: string) =>
    database.db.updateTable('outbox').set({ request_id: requestId }).where('message_id', '=', id).execute();

  it('finds what is stuck: list --blocked names the message that holds each entity back and why; show says what a message waits for', async () => {
    const a1 = await ordning(ENTITY_A);
    const a2 = await ordning(ENTITY_A);
    const b1 = await ordning(ENTITY_B);
    const due = await ordning('cccccccc-cccc-4ccc-8ccc-cccccccccccc');
    expect((await cli('park', a1, '--reason', 'consumer rejects it', '--actor', 'alice')).code).to.equal(0);
    // The row behind the parked one is due by its own clock: what holds it is its entity's order.
    await updatePending(database.db, a2, { next_attempt_at: new Date(Date.now() - 60_000) });
    await updatePending(database.db, b1, {
      attempts: 3,
      last_error: 'unroutable: NO_ROUTE',
      next_attempt_at: new Date(Date.now() + 600_000),
    });

    expect((await cli('stats')).out).to.match(/blocked entities\s+2 .*outbox list --blocked/);

    const blocked = await cli('list', '--blocked');
    expect(blocked.code, blocked.err).to.equal(0);
    expect(listed(blocked.out)).to.have.members([a1, a2, b1]);
    expect(blocked.out).to.not.include(due);
    const a2Line = blocked.out.split('\n').findIndex((l) => l.includes(a2));
    expect(blocked.out.split('\n')[a2Line + 1])
      .to.include(`blocked by ${a1}`)
      .and.include('parked by alice');
    expect(blocked.out)
      .to.include('backoff after a failed publish')
      .and.include('last error: unroutable: NO_ROUTE');

    const behind = await cli('show', a2);
    expect(behind.out).to.match(/waits for:\s+blocked by/);
    expect(behind.out).to.include(a1).and.include('parked by alice').and.include('"consumer rejects it"');
    const parked = await cli('show', a1);
    expect(parked.out).to.match(/waits for:\s+parked by alice at \d{4}-/);

    const json = JSON.parse((await cli('list', '--blocked', '--json')).out) as {
      items: Array<{ messageId: string; hold: { _tag: string } }>;
    };
    expect(json.items.find((i) => i.messageId === a2)?.hold._tag).to.equal('BlockedBy');

    const parkedOnly = await cli('list', '--parked');
    expect(listed(parkedOnly.out)).to.deep.equal([a1]);
    const entity = await cli('list', '--entity', ENTITY_A.toUpperCase(), '--status', 'pending');
    expect(listed(entity.out)).to.deep.equal([a2]);
  });

  it('list pages by key: --limit, then --after the number the previous page printed', async () => {
    const ids = [await ordning(ENTITY_A), await ordning(ENTITY_B), await ordning(ENTITY_A)];
    const first = JSON.parse((await cli('list', '--limit', '2', '--json')).out) as {
      items: Array<{ messageId: string }>;
      next: string | null;
    };
    expect(first.items.map((i) => i.messageId)).to.deep.equal([ids[2], ids[1]]);
    expect(first.next).to.be.a('string');
    const text = await cli('list', '--limit', '2');
    expect(text.out).to.include(`--after ${first.next}`);
    const second = JSON.parse((await cli('list', '--after', first.next ?? '', '--json')).out) as {
      items: Array<{ messageId: string }>;
      next: string | null;
    };
    expect(second).to.deep.equal({ items: [{ ...second.items[0], messageId: ids[0] }], next: null });
    expect((await cli('list', '--since', '1h')).out).to.include(ids[0]);
    expect((await cli('list', '--since', '2099-01-01T00:00:00Z')).out).to.equal('no messages match');
    expect((await cli('list', '--since', 'yesterday-ish')).code).to.equal(2);
    expect((await cli('list', '--status', 'lost')).code).to.equal(2);
  });

  it('park, replay and show take a request id, the id VITAS gives, and say which message it is', async () => {
    const id = await ordning(ENTITY_A);
    await setRequestId(id, 'nc-016');
    const parked = await cli('park', 'nc-016', '--reason', 'consumer rejects it');
    expect(parked.code, parked.err).to.equal(0);
    expect(parked.err).to.include(`request id nc-016 is message ${id}`);
    expect(await row(id)).to.include({ status: 'parked' });
    const replayed = await cli('replay', 'nc-016', '--reason', 'fixed');
    expect(replayed.code, replayed.err).to.equal(0);
    expect(await row(id)).to.include({ status: 'pending' });
    expect((await actions()).map((a) => [a.action, a.message_id, a.request_id])).to.deep.equal([
      ['park', id, 'nc-016'],
      ['replay', id, 'nc-016'],
    ]);
  });

  it('an id that is one message’s message id and another’s request id: the message id is used, and the output says so', async () => {
    const first = await ordning(ENTITY_A);
    const second = await ordning(ENTITY_B);
    await setRequestId(second, first);
    const shown = await cli('show', first);
    expect(shown.code).to.equal(0);
    expect(shown.out).to.match(new RegExp(`message id:\\s+${first}`));
    expect(shown.err).to.include(`the message id of ${first} and the request id of ${second}`);
    expect(shown.err).to.include('using the message id');
    const parked = await cli('park', first, '--reason', 'x');
    expect(parked.out).to.equal(`parked ${first}`);
    expect(parked.err).to.include('using the message id');
  });

  it('options and the id in any order', async () => {
    const id = await ordning(ENTITY_A);
    const dryPark = await cli('park', '--dry-run', id, '--reason', 'look first');
    expect(dryPark).to.include({ code: 0, out: `would park ${id}` });
    expect(await row(id)).to.include({ status: 'pending' });
    expect(await cli('park', '--reason', 'consumer rejects it', id)).to.include({
      code: 0,
      out: `parked ${id}`,
    });
    const dryReplay = await cli('replay', '--dry-run', id, '--reason', 'look first');
    expect(dryReplay.code, dryReplay.err).to.equal(0);
    expect(dryReplay.out).to.include('would replay 1');
    expect(await cli('replay', '--reason=fixed', id)).to.include({ code: 0 });
    expect(await row(id)).to.include({ status: 'pending' });
  });

  it('actions reads the action log, newest first, by message (or request id), actor, kind and time', async () => {
    const id = await ordning(ENTITY_A);
    const other = await ordning(ENTITY_B);
    await setRequestId(id, 'nc-020');
    await cli('park', id, '--reason', 'consumer rejects it', '--actor', 'alice');
    await cli('replay', id, '--reason', 'fixed', '--actor', 'bob');
    await cli('park', other, '--reason', 'also broken', '--actor', 'alice');

    const all = await cli('actions');
    expect(all.code).to.equal(0);
    const order = ['also broken', 'fixed', 'consumer rejects it'].map((r) => all.out.indexOf(r));
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    expect(all.out).to.include('park by alice').and.include('replay by bob');

    const byMessage = await cli('actions', '--message', 'nc-020');
    expect(byMessage.out).to.include('fixed').and.include('consumer rejects it');
    expect(byMessage.out).to.not.include('also broken');
    const byActor = JSON.parse((await cli('actions', '--actor', 'alice', '--json')).out) as {
      items: Array<{ reason: string }>;
    };
    expect(byActor.items.map((a) => a.reason)).to.deep.equal(['also broken', 'consumer rejects it']);
    const replays = (await cli('actions', '--action', 'replay')).out;
    expect(replays).to.include('fixed');
    expect(replays).to.not.include('also broken');
    expect((await cli('actions', '--since', '2099-01-01')).out).to.equal('no actions match');
    expect((await cli('actions', '--since', '5m')).out).to.include('also broken');
  });
});
