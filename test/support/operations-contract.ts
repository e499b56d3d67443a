import { expect } from 'chai';
import type {
  OperatorAction,
  OperatorUnitOfWork,
  OutboxEntry,
  OutboxReadModel,
  PayloadRedactionStore,
} from '../../src/application/operations/ports';
import type { OutboxMessage } from '../../src/application/intake/ports';
import { FICTITIOUS_CPR, FICTITIOUS_CPR_2, gdprSlettetNotifikation } from './fixtures';
import { outboxMessage } from './outbox-contract';

/** An operator_action row as either implementation keeps it. */
export interface StoredOperatorAction extends OperatorAction {
  readonly at: Date;
}

/** One implementation of the operations ports over one outbox, fresh and empty. */
export interface OperationsSubject {
  readonly readModel: OutboxReadModel;
  readonly unitOfWork: OperatorUnitOfWork;
  readonly redaction: PayloadRedactionStore;
  /** Appends as intake does. */
  append(message: OutboxMessage): Promise<void>;
  /** What the relay does after a broker confirm. */
  deliver(messageId: string, deliveredAt: Date): Promise<void>;
  /** What the relay does after a failed publish that counts as an attempt. */
  fail(messageId: string, lastError: string): Promise<void>;
  /** A row parked other than by an operator (e.g. by hand in the database). */
  parkDirectly(messageId: string, lastError: string): Promise<void>;
  /** Every operator action recorded, in order. */
  actions(): Promise<StoredOperatorAction[]>;
}

const DAY = 86_400_000;
/** Both clocks are this machine's; allow for the database's transaction start and rounding. */
const SLACK_MS = 2000;

export const ENTITY_X = '11111111-1111-4111-8111-111111111111';
export const ENTITY_Y = '22222222-2222-4222-8222-222222222222';
export const ENTITY_Z = '33333333-3333-4333-8333-333333333333';
export const ENTITY_W = '44444444-4444-4444-8444-444444444444';
const CPR_UNRELATED = '0101010009';

let counter = 0;

/** An Ordningsnotifikation about `entity` and `cpr`; all data fictitious. */
export function ordningMessage(
  entity: string,
  cpr: string,
  overrides: Partial<OutboxMessage> = {},
): OutboxMessage {
  return outboxMessage(`ops-contract-${++counter}`, {
    eksternIdentifier: entity,
    receivedAt: new Date(),
    payload: { ordningsnotifikation: { jobCenterKode: '10101', body: { cprNummer: cpr, jobtilbud: 1 } } },
    ...overrides,
  });
}

/** A GdprSlettetNotifikation about `entity`, erasing `slettede` and `cprNumre`. */
export function gdprMessage(entity: string, slettede: string[], cprNumre: string[]): OutboxMessage {
  return outboxMessage(`ops-contract-${++counter}`, {
    kind: 'GdprSlettetNotifikation',
    aendringstype: 'Sletning',
    eksternIdentifier: entity,
    routingKey: 'gdprslettetnotifikation.10101',
    receivedAt: new Date(),
    payload: gdprSlettetNotifikation(
      { eksternIdentifier: entity },
      { slettedeExternalIdentifiers: slettede, cprNumre },
    ),
  });
}

function expectNear(actual: Date | null | undefined, expected: number, slackMs = SLACK_MS): void {
  expect(actual).to.be.instanceOf(Date);
  expect(Math.abs((actual as Date).getTime() - expected)).to.be.at.most(slackMs);
}

/**
 * The behaviour every implementation of the operations ports shares, so that the in-memory fakes the
 * use-case tests run on cannot drift from PostgreSQL. Call inside a mocha `describe`.
 */
export function describeOperationsContract(
  name: string,
  createSubject: () => Promise<OperationsSubject>,
): void {
  describe(`${name}: the operations contract`, () => {
    let subject: OperationsSubject;
    beforeEach(async () => {
      subject = await createSubject();
    });

    const add = async (message: OutboxMessage): Promise<string> => {
      await subject.append(message);
      return message.messageId;
    };
    const ordning = (entity: string, cpr: string, overrides: Partial<OutboxMessage> = {}) =>
      add(ordningMessage(entity, cpr, overrides));
    const gdpr = (entity: string, slettede: string[], cprNumre: string[]) =>
      add(gdprMessage(entity, slettede, cprNumre));
    const entry = async (messageId: string): Promise<OutboxEntry> => {
      const [found] = await subject.readModel.find(messageId);
      if (found === undefined) throw new Error(`no row ${messageId}`);
      return found;
    };
    const redacted = async (messageId: string) => (await subject.readModel.payloadOf(messageId)) === null;

    describe('OutboxReadModel', () => {
      it('finds a row by message id (any case) or request id with every metadata field, in seq order', async () => {
        const message = ordningMessage(ENTITY_X, FICTITIOUS_CPR, { clientCertSubject: 'CN=vitas-test' });
        await subject.append(message);
        const later = await ordning(ENTITY_X, FICTITIOUS_CPR);
        const [found, ...rest] = await subject.readModel.find(message.messageId.toUpperCase());
        expect(rest).to.deep.equal([]);
        const { seq, nextAttemptAt, ...fields } = found!;
        expect(fields).to.deep.equal({
          messageId: message.messageId,
          requestId: message.requestId,
          kind: message.kind,
          eksternIdentifier: message.eksternIdentifier,
          jobCenterKode: message.jobCenterKode,
          registreringsDato: message.registreringsDato,
          aendringstype: message.aendringstype,
          clientId: message.clientId,
          clientCertSubject: 'CN=vitas-test',
          receivedAt: message.receivedAt,
          exchange: message.exchange,
          routingKey: message.routingKey,
          status: 'pending',
          attempts: 0,
          lastError: null,
          deliveredAt: null,
          redactedAt: null,
        });
        expect(nextAttemptAt).to.be.instanceOf(Date);
        expect(await subject.readModel.find(message.requestId)).to.deep.equal([found]);
        expect(Number((await entry(later)).seq)).to.be.greaterThan(Number(seq));
      });

      it('shows a delivered row with when, after how many attempts and with which last error, and no next attempt', async () => {
        const id = await ordning(ENTITY_X, FICTITIOUS_CPR);
        await subject.fail(id, 'timeout');
        const deliveredAt = new Date(Date.now() - DAY);
        await subject.deliver(id, deliveredAt);
        expect(await entry(id)).to.deep.include({
          status: 'delivered',
          attempts: 1,
          lastError: 'timeout',
          deliveredAt,
          nextAttemptAt: null,
          redactedAt: null,
        });
      });

      it('finds nothing for an unknown id, and a request id shaped like a uuid by either column', async () => {
        expect(await subject.readModel.find('no-such-request')).to.deep.equal([]);
        expect(await subject.readModel.find('00000000-0000-4000-8000-00000000dead')).to.deep.equal([]);
        const uuidShapedRequestId = '00000000-0000-4000-8000-000000000abc';
        const a = ordningMessage(ENTITY_X, FICTITIOUS_CPR);
        const b = ordningMessage(ENTITY_Y, FICTITIOUS_CPR, {
          requestId: uuidShapedRequestId as OutboxMessage['requestId'],
        });
        await subject.append(a);
        await subject.append(b);
        const found = await subject.readModel.find(uuidShapedRequestId);
        expect(found.map((e) => e.messageId)).to.deep.equal([b.messageId]);
      });

      it('gives the payload as accepted, and null once redacted or for an unknown message', async () => {
        const message = ordningMessage(ENTITY_X, FICTITIOUS_CPR);
        await subject.append(message);
        expect(await subject.readModel.payloadOf(message.messageId)).to.deep.equal(message.payload);
        expect(await subject.readModel.payloadOf('00000000-0000-4000-8000-00000000dead')).to.equal(null);
        await subject.deliver(message.messageId, new Date(Date.now() - 40 * DAY));
        expect(await subject.redaction.redactExpired(new Date(Date.now() - 30 * DAY), 10)).to.equal(1);
        expect(await subject.readModel.payloadOf(message.messageId)).to.equal(null);
        const after = await entry(message.messageId);
        expectNear(after.redactedAt, Date.now());
        expect(after.requestId).to.equal(message.requestId);
      });

      it('reports empty statistics for an empty outbox', async () => {
        for (const delivered of ['exact', 'estimate'] as const) {
          expect(await subject.readModel.statistics(delivered)).to.deep.equal({
            countByStatus: { pending: 0, delivered: 0, parked: 0 },
            oldestPendingAgeSeconds: null,
            oldestParkedAgeSeconds: null,
            blockedEntities: 0,
            gdprErasuresWaiting: 0,
            deliveredEstimated: false,
          });
        }
      });

      it('counts by status, ages the oldest pending and parked rows, and counts blocked entities and erasures', async () => {
        const received = (secondsAgo: number) => ({ receivedAt: new Date(Date.now() - secondsAgo * 1000) });
        // X: oldest undelivered row parked → blocked.
        await subject.deliver(await ordning(ENTITY_X, FICTITIOUS_CPR, received(900)), new Date());
        await subject.parkDirectly(await ordning(ENTITY_X, FICTITIOUS_CPR, received(600)), 'unroutable');
        await ordning(ENTITY_X, FICTITIOUS_CPR, received(30));
        // Y: oldest undelivered row failed once → blocked.
        await subject.fail(await ordning(ENTITY_Y, FICTITIOUS_CPR, received(300)), 'timeout');
        // Z: a failed row behind a fresh pending one → not blocked.
        await ordning(ENTITY_Z, FICTITIOUS_CPR, received(200));
        await subject.fail(await ordning(ENTITY_Z, FICTITIOUS_CPR, received(100)), 'timeout');
        // W: everything delivered; one GDPR notification still holds its payload, one not yet delivered.
        await subject.deliver(await gdpr(ENTITY_W, [], [FICTITIOUS_CPR_2]), new Date());
        await gdpr(ENTITY_W, [], [FICTITIOUS_CPR_2]);

        const stats = await subject.readModel.statistics('exact');
        expect(stats.countByStatus).to.deep.equal({ pending: 5, delivered: 2, parked: 1 });
        // A short history is counted even when an estimate would do.
        expect(await subject.readModel.statistics('estimate')).to.deep.include({
          countByStatus: stats.countByStatus,
          deliveredEstimated: false,
        });
        expect(stats.oldestPendingAgeSeconds).to.be.within(297, 303 + SLACK_MS / 1000);
        expect(stats.oldestParkedAgeSeconds).to.be.within(597, 603 + SLACK_MS / 1000);
        expect(stats.blockedEntities).to.equal(2);
        expect(stats.gdprErasuresWaiting).to.equal(1);
      });
    });

    describe('OperatorUnitOfWork', () => {
      it('locks a row by message id in any case, and nothing for an unknown or malformed id', async () => {
        const id = await ordning(ENTITY_X, FICTITIOUS_CPR);
        const found = await entry(id);
        await subject.unitOfWork.run(async ({ outbox }) => {
          expect(await outbox.lock(id)).to.deep.equal(found);
          expect(await outbox.lock(id.toUpperCase())).to.deep.equal(found);
          expect(await outbox.lock('00000000-0000-4000-8000-00000000dead')).to.equal(undefined);
          expect(await outbox.lock('not-a-message-id')).to.equal(undefined);
          expect(await outbox.lock('')).to.equal(undefined);
          // Shaped like a uuid (36 hex digits and dashes) but not one.
          expect(await outbox.lock('-'.repeat(36))).to.equal(undefined);
          expect(await outbox.lock('abcdabcd-abcd-abcd-abcd-abcdabcdabc-')).to.equal(undefined);
        });
      });

      it('locks every parked row, in seq order, and no other', async () => {
        const parked = [];
        for (const entity of [ENTITY_Y, ENTITY_X, ENTITY_Z]) {
          const id = await ordning(entity, FICTITIOUS_CPR);
          await subject.parkDirectly(id, 'unroutable');
          parked.push(id);
          await ordning(entity, FICTITIOUS_CPR);
        }
        await subject.deliver(await ordning(ENTITY_W, FICTITIOUS_CPR), new Date());
        const locked = await subject.unitOfWork.run(({ outbox }) => outbox.lockAllParked());
        expect(locked.map((e) => e.messageId)).to.deep.equal(parked);
        expect(locked.every((e) => e.status === 'parked')).to.equal(true);
      });

      it('replays parked and pending rows: pending, attempts 0, no last error, due now; never a delivered row', async () => {
        const parked = await ordning(ENTITY_X, FICTITIOUS_CPR);
        await subject.fail(parked, 'timeout');
        await subject.parkDirectly(parked, 'unroutable');
        const failing = await ordning(ENTITY_Y, FICTITIOUS_CPR);
        await subject.fail(failing, 'nack');
        await subject.fail(failing, 'nack');
        const delivered = await ordning(ENTITY_Z, FICTITIOUS_CPR);
        await subject.fail(delivered, 'timeout');
        await subject.deliver(delivered, new Date(Date.now() - DAY));
        const deliveredBefore = await entry(delivered);

        await subject.unitOfWork.run(({ outbox }) => outbox.replay([parked, failing, delivered]));
        for (const id of [parked, failing]) {
          const replayed = await entry(id);
          expect(replayed).to.include({ status: 'pending', attempts: 0, lastError: null });
          expectNear(replayed.nextAttemptAt, Date.now());
        }
        expect(await entry(delivered)).to.deep.equal(deliveredBefore);
        await subject.unitOfWork.run(({ outbox }) => outbox.replay([]));
      });

      it('parks a pending row with an operator last error, keeping its attempts; leaves delivered and parked rows as they are', async () => {
        const pending = await ordning(ENTITY_X, FICTITIOUS_CPR);
        await subject.fail(pending, 'timeout');
        const delivered = await ordning(ENTITY_Y, FICTITIOUS_CPR);
        await subject.deliver(delivered, new Date());
        const parked = await ordning(ENTITY_Z, FICTITIOUS_CPR);
        await subject.parkDirectly(parked, 'unroutable');
        const before = [await entry(delivered), await entry(parked)];

        await subject.unitOfWork.run(async ({ outbox }) => {
          for (const id of [pending, delivered, parked]) await outbox.park(id);
        });
        expect(await entry(pending)).to.include({
          status: 'parked',
          attempts: 1,
          lastError: 'parked by an operator (see operator_action)',
        });
        expect([await entry(delivered), await entry(parked)]).to.deep.equal(before);
      });

      it('sees its own changes inside the run', async () => {
        const id = await ordning(ENTITY_X, FICTITIOUS_CPR);
        await subject.unitOfWork.run(async ({ outbox }) => {
          await outbox.park(id);
          expect(await outbox.lock(id)).to.include({ status: 'parked' });
          expect((await outbox.lockAllParked()).map((e) => e.messageId)).to.deep.equal([id]);
          await outbox.replay([id]);
          expect(await outbox.lock(id)).to.include({ status: 'pending' });
        });
      });

      it('records an operator action with the time it was recorded, details as stored JSON', async () => {
        const id = await ordning(ENTITY_X, FICTITIOUS_CPR);
        const action: OperatorAction = {
          action: 'park',
          messageId: id,
          requestId: (await entry(id)).requestId,
          actor: 'ops-alice',
          reason: 'ticket 42',
          dryRun: true,
          details: { previousStatus: 'pending', previousAttempts: 0, previousLastError: null, ids: [id] },
        };
        const bulk: OperatorAction = {
          action: 'replay',
          messageId: null,
          requestId: null,
          actor: 'ops-bob',
          reason: 'broker back',
          dryRun: false,
          details: { scope: 'all-parked', count: 0, messageIds: [] },
        };
        const value = await subject.unitOfWork.run(async ({ actions }) => {
          await actions.record(action);
          await actions.record(bulk);
          return 'done';
        });
        expect(value).to.equal('done');
        const recorded = await subject.actions();
        expect(recorded.map(({ at: _at, ...rest }) => rest)).to.deep.equal([action, bulk]);
        for (const r of recorded) expectNear(r.at, Date.now());
      });

      it('refuses an action record without actor or reason, as operator_action does', async () => {
        const base: OperatorAction = {
          action: 'redact',
          messageId: null,
          requestId: null,
          actor: 'ops-alice',
          reason: 'ticket 42',
          dryRun: false,
          details: {},
        };
        for (const invalid of [
          { ...base, reason: '' },
          { ...base, actor: '' },
          { ...base, actor: 'a'.repeat(201) },
          { ...base, reason: 'r'.repeat(2001) },
        ]) {
          let thrown: unknown;
          try {
            await subject.unitOfWork.run(({ actions }) => actions.record(invalid));
          } catch (error) {
            thrown = error;
          }
          expect(thrown, JSON.stringify(invalid).slice(0, 60)).to.be.instanceOf(Error);
        }
        expect(await subject.actions()).to.deep.equal([]);
      });

      it('applies nothing of a run whose work throws: no change, no record', async () => {
        const parked = await ordning(ENTITY_X, FICTITIOUS_CPR);
        await subject.parkDirectly(parked, 'unroutable');
        const pending = await ordning(ENTITY_Y, FICTITIOUS_CPR);
        const before = [await entry(parked), await entry(pending)];
        const failure = new Error('after the change');
        let thrown: unknown;
        try {
          await subject.unitOfWork.run(async ({ outbox, actions }) => {
            await outbox.replay([parked]);
            await outbox.park(pending);
            await actions.record({
              action: 'replay',
              messageId: parked,
              requestId: null,
              actor: 'ops-alice',
              reason: 'ticket 42',
              dryRun: false,
              details: {},
            });
            throw failure;
          });
        } catch (error) {
          thrown = error;
        }
        expect(thrown).to.equal(failure);
        expect([await entry(parked), await entry(pending)]).to.deep.equal(before);
        expect(await subject.actions()).to.deep.equal([]);
      });
    });

    describe('PayloadRedactionStore: retention', () => {
      it('redacts delivered Ordningsnotifikation payloads delivered before the cutoff, oldest delivery first, in batches', async () => {
        const cutoff = new Date(Date.now() - 30 * DAY);
        const oldest = await ordning(ENTITY_X, FICTITIOUS_CPR);
        const older = await ordning(ENTITY_Y, FICTITIOUS_CPR);
        const old = await ordning(ENTITY_Z, FICTITIOUS_CPR);
        await subject.deliver(old, new Date(Date.now() - 31 * DAY));
        await subject.deliver(oldest, new Date(Date.now() - 50 * DAY));
        await subject.deliver(older, new Date(Date.now() - 40 * DAY));
        const recent = await ordning(ENTITY_X, FICTITIOUS_CPR);
        await subject.deliver(recent, new Date(Date.now() - 29 * DAY));
        const pendingButOld = await ordning(ENTITY_W, FICTITIOUS_CPR, {
          receivedAt: new Date(Date.now() - 90 * DAY),
        });
        const gdprOld = await gdpr(ENTITY_W, [ENTITY_Y], [CPR_UNRELATED]);
        await subject.deliver(gdprOld, new Date(Date.now() - 60 * DAY));

        expect(await subject.redaction.countExpired(cutoff)).to.equal(3);
        expect(await subject.redaction.redactExpired(cutoff, 2)).to.equal(2);
        expect(await redacted(oldest)).to.equal(true);
        expect(await redacted(older)).to.equal(true);
        expect(await redacted(old)).to.equal(false);
        expect(await subject.redaction.countExpired(cutoff)).to.equal(1);
        expect(await subject.redaction.redactExpired(cutoff, 2)).to.equal(1);
        expect(await subject.redaction.redactExpired(cutoff, 2)).to.equal(0);
        for (const id of [recent, pendingButOld, gdprOld]) expect(await redacted(id)).to.equal(false);
        expect(await entry(old)).to.include({ status: 'delivered' });
      });
    });

    describe('PayloadRedactionStore: GDPR erasure', () => {
      it('lists delivered GDPR notifications still holding their payload, in seq order', async () => {
        const first = await gdpr(ENTITY_X, [], [FICTITIOUS_CPR]);
        const undelivered = await gdpr(ENTITY_Y, [], [FICTITIOUS_CPR]);
        const second = await gdpr(ENTITY_Z, [], [FICTITIOUS_CPR]);
        await subject.deliver(second, new Date(Date.now() - DAY));
        await subject.deliver(first, new Date());
        const ordningDelivered = await ordning(ENTITY_W, FICTITIOUS_CPR);
        await subject.deliver(ordningDelivered, new Date());
        expect(await subject.redaction.deliveredErasures()).to.deep.equal([first, second]);
        expect(undelivered).to.be.a('string');
        expect(await subject.redaction.redactErasure(second)).to.equal(true);
        expect(await subject.redaction.deliveredErasures()).to.deep.equal([first]);
      });

      it('targets earlier Ordningsnotifikation rows about its entity, its slettedeExternalIdentifiers (any case) or its cprNumre', async () => {
        const sameEntity = await ordning(ENTITY_X, CPR_UNRELATED);
        const listedEntity = await ordning(ENTITY_Z, CPR_UNRELATED);
        const sameCpr = await ordning(ENTITY_Y, FICTITIOUS_CPR);
        const otherCpr = await ordning(ENTITY_W, FICTITIOUS_CPR_2);
        const unrelated = await ordning(ENTITY_W, CPR_UNRELATED);
        const earlierGdpr = await gdpr(ENTITY_X, [], [FICTITIOUS_CPR]);
        const pendingSameCpr = await ordning(ENTITY_W, FICTITIOUS_CPR, { jobCenterKode: '20202' });
        const erasure = await gdpr(ENTITY_X, [ENTITY_Z.toUpperCase()], [FICTITIOUS_CPR, '']);
        const later = await ordning(ENTITY_X, FICTITIOUS_CPR);
        for (const id of [
          sameEntity,
          listedEntity,
          sameCpr,
          otherCpr,
          unrelated,
          earlierGdpr,
          erasure,
          later,
        ]) {
          await subject.deliver(id, new Date());
        }

        expect(await subject.redaction.countErasureTargets(erasure)).to.equal(3);
        expect(await subject.redaction.countErasureBlockers(erasure)).to.equal(1);
        expect(await subject.redaction.redactErasureTargets(erasure, 2)).to.equal(2);
        expect(await subject.redaction.countErasureTargets(erasure)).to.equal(1);
        expect(await subject.redaction.redactErasureTargets(erasure, 2)).to.equal(1);
        expect(await subject.redaction.redactErasureTargets(erasure, 2)).to.equal(0);
        for (const id of [sameEntity, listedEntity, sameCpr]) expect(await redacted(id), id).to.equal(true);
        for (const id of [otherCpr, unrelated, earlierGdpr, pendingSameCpr, erasure, later]) {
          expect(await redacted(id), id).to.equal(false);
        }
      });

      it('redacts its own payload only once nothing earlier it names holds one, and only when delivered', async () => {
        const blocker = await ordning(ENTITY_Z, FICTITIOUS_CPR);
        const erasure = await gdpr(ENTITY_X, [ENTITY_Z], []);
        expect(await subject.redaction.redactErasure(erasure), 'not delivered').to.equal(false);
        await subject.deliver(erasure, new Date());
        expect(await subject.redaction.countErasureBlockers(erasure)).to.equal(1);
        expect(await subject.redaction.redactErasure(erasure), 'an earlier row is pending').to.equal(false);
        await subject.parkDirectly(blocker, 'unroutable');
        expect(await subject.redaction.redactErasure(erasure), 'an earlier row is parked').to.equal(false);
        await subject.deliver(blocker, new Date());
        expect(await subject.redaction.countErasureBlockers(erasure)).to.equal(0);
        expect(
          await subject.redaction.redactErasure(erasure),
          'a delivered target still holds its payload',
        ).to.equal(false);
        expect(await subject.redaction.redactErasureTargets(erasure, 10)).to.equal(1);
        expect(await subject.redaction.redactErasure(erasure)).to.equal(true);
        expect(await redacted(erasure)).to.equal(true);
        expect(await subject.redaction.redactErasure(erasure), 'only once').to.equal(false);
        expect(
          await subject.redaction.countErasureTargets(erasure),
          'a redacted erasure names nothing',
        ).to.equal(0);
      });

      it('names nothing for an unknown id or an Ordningsnotifikation', async () => {
        const ordningId = await ordning(ENTITY_X, FICTITIOUS_CPR);
        await subject.deliver(ordningId, new Date());
        const unknown = '00000000-0000-4000-8000-00000000dead';
        for (const id of [unknown, ordningId]) {
          expect(await subject.redaction.countErasureTargets(id)).to.equal(0);
          expect(await subject.redaction.countErasureBlockers(id)).to.equal(0);
          expect(await subject.redaction.redactErasureTargets(id, 10)).to.equal(0);
        }
        expect(await subject.redaction.redactErasure(unknown)).to.equal(false);
      });
    });
  });
}
