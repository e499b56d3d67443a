import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { OutboxMessage } from '../../src/application/intake/ports';
import { ParkOutboxMessage } from '../../src/application/operations/park-outbox-message';
import type { OutboxEntry, OutboxExplorer, OutboxSearch } from '../../src/application/operations/ports';
import { RedactPayloads } from '../../src/application/operations/redact-payloads';
import { ReplayOutboxMessages } from '../../src/application/operations/replay-outbox-messages';
import { FICTITIOUS_CPR, FICTITIOUS_CPR_2 } from './fixtures';
import {
  ENTITY_W,
  ENTITY_X,
  ENTITY_Y,
  ENTITY_Z,
  gdprMessage,
  type OperationsSubject,
  ordningMessage,
} from './operations-contract';

/** One implementation of OutboxExplorer with the operations ports over the same outbox, fresh and empty. */
export interface ExplorerSubject extends OperationsSubject {
  readonly explorer: OutboxExplorer;
  /** A failed attempt whose retry is due at `until` (the relay's backoff). */
  backOff(messageId: string, lastError: string, until: Date): Promise<void>;
  /** A gateway pool connected under `applicationName` until the returned function is called. */
  connect(applicationName: string): Promise<() => Promise<void>>;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The W3C specification's example trace context: no one's. */
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const OPERATOR = { actor: 'ops-alice', reason: 'ticket 42', dryRun: false } as const;

/**
 * What the command line and the console ask of the outbox, written once and run against the
 * in-memory fake and PostgreSQL, so that the fake cannot drift from the SQL.
 */
export function describeOutboxExplorerContract(
  name: string,
  createSubject: () => Promise<ExplorerSubject>,
): void {
  describe(`${name}: the OutboxExplorer contract`, () => {
    let subject: ExplorerSubject;
    let explorer: OutboxExplorer;
    /** A fixed instant in the past, so received times are distinct, ordered and in milliseconds. */
    const base = Math.floor((Date.now() - 2 * DAY) / 1000) * 1000;
    beforeEach(async () => {
      subject = await createSubject();
      explorer = subject.explorer;
    });

    const add = async (message: OutboxMessage): Promise<string> => {
      await subject.append(message);
      return message.messageId;
    };
    const at = (minutes: number) => new Date(base + minutes * MINUTE);
    const ordning = (entity: string, minutes: number, overrides: Partial<OutboxMessage> = {}) =>
      add(ordningMessage(entity, FICTITIOUS_CPR, { receivedAt: at(minutes), ...overrides }));
    const ids = (entries: readonly OutboxEntry[]) => entries.map((e) => e.messageId);
    /** Every page of `search`, following `next`. */
    const allPages = async (search: Omit<OutboxSearch, 'after'>): Promise<string[]> => {
      const found: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 50; pages++) {
        const page = await explorer.search({ ...search, ...(after === undefined ? {} : { after }) });
        found.push(...ids(page.items));
        if (page.next === null) return found;
        after = page.next;
      }
      throw new Error('pages never end');
    };
    const park = (messageId: string, actor: string = OPERATOR.actor) =>
      new ParkOutboxMessage(subject.unitOfWork).execute({ ...OPERATOR, actor, messageId });
    const sweep = (retentionDays = 30) =>
      new RedactPayloads(
        subject.redaction,
        { now: () => new Date() },
        { redacted: () => undefined },
        subject.unitOfWork,
        { retentionDays, batchSize: 100 },
      ).execute({ dryRun: false });

    describe('search', () => {
      it('goes newest first by received time, then by seq, in pages that follow on without gaps', async () => {
        const a = await ordning(ENTITY_X, 1);
        const b = await ordning(ENTITY_Y, 3);
        const c = await ordning(ENTITY_Z, 2);
        const d = await ordning(ENTITY_W, 3);
        const e = await ordning(ENTITY_X, 0);
        const first = await explorer.search({ limit: 2 });
        expect(ids(first.items)).to.deep.equal([d, b]);
        expect(first.next).to.be.a('string');
        expect(await allPages({ limit: 2 })).to.deep.equal([d, b, c, a, e]);
        expect(await allPages({ limit: 5 })).to.deep.equal([d, b, c, a, e]);
        expect((await explorer.search({ limit: 5 })).next).to.equal(null);
      });

      it('keeps a page between 1 and 500 rows whatever is asked; an unknown or malformed keyset finds nothing', async () => {
        const a = await ordning(ENTITY_X, 1);
        const b = await ordning(ENTITY_X, 2);
        expect(ids((await explorer.search({ limit: 0 })).items)).to.deep.equal([b]);
        expect(ids((await explorer.search({ limit: 10_000 })).items)).to.deep.equal([b, a]);
        expect((await explorer.search({ limit: 10, after: 'not-a-seq' })).items).to.deep.equal([]);
        expect((await explorer.search({ limit: 10, after: '999999999' })).items).to.deep.equal([]);
      });

      it('filters by request id, message id, entity, jobcenter, kind and received time, each exactly', async () => {
        const a = await ordning(ENTITY_X, 1, { jobCenterKode: '20202' });
        const b = await ordning(ENTITY_Y, 2);
        const g = await add({ ...gdprMessage(ENTITY_X, [], [FICTITIOUS_CPR]), receivedAt: at(3) });
        const c = await ordning(ENTITY_X, 4);
        const search = (s: Omit<OutboxSearch, 'limit'>) => allPages({ ...s, limit: 2 });
        const [requestOfB] = await subject.readModel.find(b);
        expect(await search({ requestId: requestOfB!.requestId })).to.deep.equal([b]);
        expect(await search({ messageId: a.toUpperCase() })).to.deep.equal([a]);
        expect(await search({ messageId: 'not-a-uuid' })).to.deep.equal([]);
        expect(await search({ eksternIdentifier: ENTITY_X })).to.deep.equal([c, g, a]);
        expect(
          await search({ eksternIdentifier: ENTITY_X.toUpperCase(), kind: 'Ordningsnotifikation' }),
        ).to.deep.equal([c, a]);
        expect(await search({ eksternIdentifier: 'no-entity' })).to.deep.equal([]);
        expect(await search({ jobCenterKode: '20202' })).to.deep.equal([a]);
        expect(await search({ kind: 'GdprSlettetNotifikation' })).to.deep.equal([g]);
        expect(await search({ receivedFrom: at(2), receivedTo: at(4) })).to.deep.equal([g, b]);
        expect(
          await search({ receivedFrom: at(2), jobCenterKode: '10101', eksternIdentifier: ENTITY_X }),
        ).to.deep.equal([c, g]);
      });

      it('filters by status (undelivered is pending or parked) and by blocked entities', async () => {
        // X: its oldest undelivered row parked → X's undelivered rows are blocked.
        const xDelivered = await ordning(ENTITY_X, 1);
        await subject.deliver(xDelivered, at(1.5));
        const xParked = await ordning(ENTITY_X, 2);
        await subject.parkDirectly(xParked, 'unroutable');
        const xWaiting = await ordning(ENTITY_X, 3);
        // Y: its oldest undelivered row failed once → blocked.
        const yFailed = await ordning(ENTITY_Y, 4);
        await subject.fail(yFailed, 'timeout');
        // Z: a failed row behind a fresh one → not blocked.
        const zFresh = await ordning(ENTITY_Z, 5);
        const zFailed = await ordning(ENTITY_Z, 6);
        await subject.fail(zFailed, 'timeout');
        const search = (s: Omit<OutboxSearch, 'limit'>) => allPages({ ...s, limit: 2 });
        expect(await search({ status: 'delivered' })).to.deep.equal([xDelivered]);
        expect(await search({ status: 'parked' })).to.deep.equal([xParked]);
        expect(await search({ status: 'pending' })).to.deep.equal([zFailed, zFresh, yFailed, xWaiting]);
        expect(await search({ status: 'undelivered' })).to.deep.equal([
          zFailed,
          zFresh,
          yFailed,
          xWaiting,
          xParked,
        ]);
        expect(await search({ blocked: true })).to.deep.equal([yFailed, xWaiting, xParked]);
        expect(await search({ blocked: true, status: 'pending', eksternIdentifier: ENTITY_X })).to.deep.equal(
          [xWaiting],
        );
        expect(await search({ blocked: true, status: 'delivered' })).to.deep.equal([]);
        expect(await search({ blocked: false })).to.have.length(6);
      });
    });

    describe('detail and entity: what a message waits for', () => {
      it('due, backing off, delivered; a later row of the entity waits for its head, with the head own hold', async () => {
        const head = await ordning(ENTITY_X, 1, { traceContext: { traceparent: TRACEPARENT } });
        const behind = await ordning(ENTITY_X, 2);
        const due = await ordning(ENTITY_Y, 3);
        const delivered = await ordning(ENTITY_Z, 4);
        await subject.deliver(delivered, new Date());
        const [headDetail] = await explorer.detail(head);
        expect(headDetail!.hold).to.deep.equal({ _tag: 'Due' });
        expect(headDetail!.traceId).to.equal('0af7651916cd43dd8448eb211c80319c');
        expect(headDetail!.redaction).to.equal(null);
        expect((await explorer.detail(due))[0]!.traceId).to.equal(null);
        expect((await explorer.detail(delivered))[0]!.hold).to.deep.equal({ _tag: 'Delivered' });

        const until = new Date(Math.ceil((Date.now() + 10 * MINUTE) / 1000) * 1000);
        await subject.backOff(head, 'timeout: no confirm within 5000 ms', until);
        const [blocked] = await explorer.detail(behind);
        const [headEntry] = await subject.readModel.find(head);
        expect(blocked!.hold).to.deep.equal({
          _tag: 'BlockedBy',
          blocker: headEntry,
          blockerHold: { _tag: 'BackingOff', until },
        });
        const [byRequestId] = await explorer.detail(headEntry!.requestId);
        expect(byRequestId!.hold).to.deep.equal({ _tag: 'BackingOff', until });
        expect(await explorer.detail('no-such-request')).to.deep.equal([]);
      });

      it('a parked row names the park from the action log, or none when the relay parked it or it was replayed since', async () => {
        const byOperator = await ordning(ENTITY_X, 1);
        await ordning(ENTITY_X, 2);
        const byRelay = await ordning(ENTITY_Y, 3);
        await subject.parkDirectly(byRelay, 'unroutable: no queue is bound');
        expect(await park(byOperator, 'ops-bob')).to.include({ _tag: 'Parked' });

        const [parked] = await explorer.detail(byOperator);
        expect(parked!.hold._tag).to.equal('Parked');
        const parkedBy = parked!.hold._tag === 'Parked' ? parked!.hold.parkedBy : null;
        expect(parkedBy).to.deep.include({
          action: 'park',
          actor: 'ops-bob',
          reason: 'ticket 42',
          messageId: byOperator,
        });
        expect(parkedBy!.messageIds).to.deep.equal([byOperator]);
        expect((await explorer.detail(byRelay))[0]!.hold).to.deep.equal({ _tag: 'Parked', parkedBy: null });

        const entity = await explorer.entity(ENTITY_X, undefined, 10);
        expect(entity.items.map((d) => d.hold._tag)).to.deep.equal(['Parked', 'BlockedBy']);
        const blockerHold =
          entity.items[1]!.hold._tag === 'BlockedBy' ? entity.items[1]!.hold.blockerHold : undefined;
        expect(blockerHold).to.deep.equal({ _tag: 'Parked', parkedBy });

        await new ReplayOutboxMessages(subject.unitOfWork).execute({
          ...OPERATOR,
          target: { messageId: byOperator },
        });
        await subject.parkDirectly(byOperator, 'unroutable');
        expect((await explorer.detail(byOperator))[0]!.hold).to.deep.equal({
          _tag: 'Parked',
          parkedBy: null,
        });
      });

      it("an entity's messages come in acceptance order, in pages", async () => {
        const first = await ordning(ENTITY_X, 5);
        await ordning(ENTITY_Y, 1);
        const second = await ordning(ENTITY_X, 1);
        const third = await ordning(ENTITY_X, 3);
        const page1 = await explorer.entity(ENTITY_X.toUpperCase(), undefined, 2);
        expect(page1.items.map((d) => d.entry.messageId)).to.deep.equal([first, second]);
        expect(page1.items.map((d) => d.hold._tag)).to.deep.equal(['Due', 'BlockedBy']);
        const page2 = await explorer.entity(ENTITY_X, page1.next!, 2);
        expect(page2.items.map((d) => d.entry.messageId)).to.deep.equal([third]);
        expect(page2.next).to.equal(null);
        expect(await explorer.entity('not-an-entity', undefined, 2)).to.deep.equal({ items: [], next: null });
      });

      it('says why a payload was redacted, and for GDPR by which notice', async () => {
        const expired = await ordning(ENTITY_X, 1);
        await subject.deliver(expired, new Date(Date.now() - 40 * DAY));
        const erased = await add(ordningMessage(ENTITY_Y, FICTITIOUS_CPR_2, { receivedAt: at(2) }));
        await subject.deliver(erased, new Date());
        const notice = await add({ ...gdprMessage(ENTITY_Z, [], [FICTITIOUS_CPR_2]), receivedAt: at(3) });
        await subject.deliver(notice, new Date());
        await sweep();
        expect((await explorer.detail(expired))[0]!.redaction).to.deep.equal({
          reason: 'retention',
          byMessageId: null,
        });
        expect((await explorer.detail(erased))[0]!.redaction).to.deep.equal({
          reason: 'gdpr',
          byMessageId: notice,
        });
        expect((await explorer.detail(notice))[0]!.redaction).to.deep.equal({
          reason: 'gdpr',
          byMessageId: notice,
        });
      });
    });

    describe('failure groups', () => {
      it('groups undelivered rows by their last error with ids, hex and numbers normalised, largest first', async () => {
        const t1 = await ordning(ENTITY_X, 1);
        const t2 = await ordning(ENTITY_Y, 2);
        const t3 = await ordning(ENTITY_Z, 3);
        const other = await ordning(ENTITY_W, 4);
        const delivered = await ordning(ENTITY_W, 5);
        await subject.fail(t1, 'timeout: no confirm within 5000 ms for 3F2B8A4E-1C2D-4E5F-9A8B-7C6D5E4F3A2B');
        await subject.fail(t2, 'timeout: no confirm within 4000 ms for 9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d');
        await subject.parkDirectly(
          t3,
          'timeout: no confirm within 12 ms for 00000000-0000-4000-8000-000000000001',
        );
        await subject.fail(other, 'nack: channel 0x1f closed, trace 0af7651916cd43dd');
        await subject.fail(delivered, 'nack: channel 0x1f closed, trace 0af7651916cd43dd');
        await subject.deliver(delivered, new Date());

        const groups = await explorer.failureGroups();
        const timeout = 'timeout: no confirm within <n> ms for <id>';
        const nack = 'nack: channel <hex> closed, trace <hex>';
        const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
        expect(groups).to.deep.equal([
          {
            fingerprint: md5(timeout),
            error: timeout,
            count: 3,
            parked: 1,
            firstSeen: at(1),
            lastSeen: at(3),
          },
          { fingerprint: md5(nack), error: nack, count: 1, parked: 0, firstSeen: at(4), lastSeen: at(4) },
        ]);
        expect(ids(await explorer.failureGroupMembers(md5(timeout).toUpperCase()))).to.deep.equal([
          t1,
          t2,
          t3,
        ]);
        expect(ids(await explorer.failureGroupMembers(md5(nack)))).to.deep.equal([other]);
        expect(await explorer.failureGroupMembers(md5('no such error'))).to.deep.equal([]);
        expect(await explorer.failureGroupMembers('not-a-fingerprint')).to.deep.equal([]);
      });
    });

    describe('the action log', () => {
      it('finds an action from any message it touched, single or bulk, newest first, with every message', async () => {
        const a = await ordning(ENTITY_X, 1);
        const b = await ordning(ENTITY_Y, 2);
        const c = await ordning(ENTITY_Z, 3);
        await park(a);
        await subject.parkDirectly(b, 'unroutable');
        const replayed = await new ReplayOutboxMessages(subject.unitOfWork).execute({
          ...OPERATOR,
          actor: 'ops-bob',
          reason: 'broker fixed',
          target: 'all-parked',
        });
        expect(replayed).to.include({ _tag: 'Replayed' });

        const ofA = await explorer.actions({ messageId: a.toUpperCase(), limit: 10 });
        expect(ofA.items.map((x) => [x.action, x.actor, x.messageId])).to.deep.equal([
          ['replay', 'ops-bob', null],
          ['park', 'ops-alice', a],
        ]);
        expect(ofA.items[0]!.messageIds).to.deep.equal([a, b].sort());
        expect(ofA.items[0]!.details).to.deep.equal({ scope: 'all-parked', count: 2 });
        expect(ofA.items[1]!.messageIds).to.deep.equal([a]);
        expect(ofA.items[0]!.at).to.be.instanceOf(Date);
        expect(
          (await explorer.actions({ messageId: b, limit: 10 })).items.map((x) => x.action),
        ).to.deep.equal(['replay']);
        expect((await explorer.actions({ messageId: c, limit: 10 })).items).to.deep.equal([]);
        expect((await explorer.actions({ messageId: 'nope', limit: 10 })).items).to.deep.equal([]);
      });

      it('filters by actor, kind and time, and pages newest first', async () => {
        const before = new Date(Date.now() - 5000);
        for (const [i, actor] of ['ops-alice', 'ops-bob', 'ops-alice'].entries()) {
          await park(await ordning(ENTITY_X, i), actor);
        }
        const all = await explorer.actions({ limit: 10 });
        expect(all.items.map((x) => x.actor)).to.deep.equal(['ops-alice', 'ops-bob', 'ops-alice']);
        expect(new Set(all.items.map((x) => x.id)).size).to.equal(3);
        expect((await explorer.actions({ actor: 'ops-alice', limit: 10 })).items).to.deep.equal([
          all.items[0],
          all.items[2],
        ]);
        expect((await explorer.actions({ action: 'replay', limit: 10 })).items).to.deep.equal([]);
        expect((await explorer.actions({ since: before, limit: 10 })).items).to.have.length(3);
        expect(
          (await explorer.actions({ since: new Date(Date.now() + DAY), limit: 10 })).items,
        ).to.deep.equal([]);
        const first = await explorer.actions({ limit: 2 });
        expect(first.items).to.deep.equal(all.items.slice(0, 2));
        const second = await explorer.actions({ limit: 2, after: first.next! });
        expect(second).to.deep.equal({ items: all.items.slice(2), next: null });
      });
    });

    describe('GDPR', () => {
      it('shows each erasure notice, newest first, with what it erased and what it still waits for', async () => {
        const waitingFor = await add(ordningMessage(ENTITY_X, FICTITIOUS_CPR, { receivedAt: at(1) }));
        const erasedEarlier = await add(ordningMessage(ENTITY_X, FICTITIOUS_CPR, { receivedAt: at(0) }));
        await subject.deliver(erasedEarlier, new Date());
        const notice = await add({ ...gdprMessage(ENTITY_X, [], []), receivedAt: at(2) });
        await subject.deliver(notice, new Date());
        const quiet = await add({ ...gdprMessage(ENTITY_Y, [], []), receivedAt: at(3) });
        await subject.deliver(quiet, new Date());
        await sweep();

        const page = await explorer.erasureNotices(undefined, 10);
        expect(page.items.map((n) => [n.entry.messageId, n.erased, n.waiting, n.done])).to.deep.equal([
          [quiet, 0, 0, true],
          [notice, 1, 1, false],
        ]);
        await subject.deliver(waitingFor, new Date());
        await sweep();
        const done = await explorer.erasureNotices(undefined, 1);
        expect(done.items.map((n) => n.entry.messageId)).to.deep.equal([quiet]);
        const next = await explorer.erasureNotices(done.next!, 1);
        expect(next.items.map((n) => [n.entry.messageId, n.erased, n.waiting, n.done])).to.deep.equal([
          [notice, 2, 0, true],
        ]);
        expect(next.next).to.equal(null);
      });

      it('subject access finds the messages that still hold a payload naming the CPR number', async () => {
        const named = await add(ordningMessage(ENTITY_X, FICTITIOUS_CPR, { receivedAt: at(1) }));
        await add(ordningMessage(ENTITY_Y, FICTITIOUS_CPR_2, { receivedAt: at(2) }));
        const expired = await add(ordningMessage(ENTITY_Z, FICTITIOUS_CPR, { receivedAt: at(3) }));
        await subject.deliver(expired, new Date(Date.now() - 40 * DAY));
        const notice = await add({
          ...gdprMessage(ENTITY_W, [], ['0101019999', FICTITIOUS_CPR]),
          receivedAt: at(4),
        });
        await sweep();
        expect(ids(await explorer.subjectAccess(FICTITIOUS_CPR))).to.deep.equal([named, notice]);
        expect(await explorer.subjectAccess('0101010042')).to.deep.equal([]);
      });
    });

    describe('the overview', () => {
      it('counts deliveries per minute since a time, with the median and 95th percentile delay', async () => {
        const minute = Math.floor((Date.now() - 30 * MINUTE) / MINUTE) * MINUTE;
        const deliveries = [
          [minute - 5 * MINUTE, 1000],
          [minute + 1000, 1000],
          [minute + 2000, 2000],
          [minute + 3000, 5000],
          [minute + MINUTE + 500, 500],
        ] as const;
        for (const [deliveredAt, delayMs] of deliveries) {
          const id = await add(
            ordningMessage(ENTITY_X, FICTITIOUS_CPR, { receivedAt: new Date(deliveredAt - delayMs) }),
          );
          await subject.deliver(id, new Date(deliveredAt));
        }
        // One whose payload is gone already counts too.
        const erased = await add(
          ordningMessage(ENTITY_Y, FICTITIOUS_CPR_2, { receivedAt: new Date(minute + MINUTE) }),
        );
        await subject.deliver(erased, new Date(minute + MINUTE + 1500));
        await subject.deliver(
          await add({ ...gdprMessage(ENTITY_Z, [], [FICTITIOUS_CPR_2]) }),
          new Date(minute + 2 * MINUTE),
        );
        await sweep();
        expect((await explorer.detail(erased))[0]!.entry.redactedAt).to.be.instanceOf(Date);

        const minutes = await explorer.deliveriesPerMinute(new Date(minute));
        expect(minutes.map((m) => [m.minute.getTime(), m.delivered])).to.deep.equal([
          [minute, 3],
          [minute + MINUTE, 2],
          [minute + 2 * MINUTE, 1],
        ]);
        expect(minutes[0]!.delayP50Seconds).to.be.closeTo(2, 0.001);
        expect(minutes[0]!.delayP95Seconds).to.be.closeTo(4.7, 0.001);
        expect(minutes[1]!.delayP50Seconds).to.be.closeTo(1, 0.001);
        expect(await explorer.deliveriesPerMinute(new Date(Date.now() + MINUTE))).to.deep.equal([]);
      });

      it('lists the gateway processes connected, with the pid from their application name', async () => {
        const disconnect = await subject.connect('wsb-gateway contract pid 4242');
        try {
          const processes = await explorer.connectedProcesses();
          const mine = processes.find((p) => p.applicationName === 'wsb-gateway contract pid 4242');
          expect(mine).to.include({ pid: 4242 });
          expect(mine!.connections).to.be.at.least(1);
          expect(mine!.since).to.be.instanceOf(Date);
        } finally {
          await disconnect();
        }
        const after = await explorer.connectedProcesses();
        expect(after.map((p) => p.applicationName)).not.to.include('wsb-gateway contract pid 4242');
      });
    });
  });
}
