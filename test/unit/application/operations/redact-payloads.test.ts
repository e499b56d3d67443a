import { expect } from 'chai';
import { InMemoryOperations } from '../../../support/fakes/in-memory-operations';
import type { RedactionObserver, RedactionReason } from '../../../../src/application/operations/ports';
import {
  RedactPayloads,
  type RedactPayloadsSettings,
} from '../../../../src/application/operations/redact-payloads';
import { append } from '../../../support/in-memory-operations';
import { FixedClock } from '../../../support/fakes/fixed-clock';
import {
  ENTITY_W,
  ENTITY_X,
  ENTITY_Y,
  ENTITY_Z,
  gdprMessage,
  ordningMessage,
} from '../../../support/operations-contract';

const DAY = 86_400_000;
const NOW = new Date('2025-03-10T08:00:00.000Z');
const CPR_A = '0101010001';
const CPR_B = '0101010002';
const CPR_UNRELATED = '0101010009';

class RecordingObserver implements RedactionObserver {
  readonly batches: Array<[RedactionReason, number]> = [];
  redacted(reason: RedactionReason, count: number): void {
    this.batches.push([reason, count]);
  }
}

describe('application/RedactPayloads', () => {
  let clock: FixedClock;
  let operations: InMemoryOperations;
  let observer: RecordingObserver;

  beforeEach(() => {
    clock = new FixedClock(NOW);
    operations = new InMemoryOperations(undefined, clock);
    observer = new RecordingObserver();
  });

  const sweep = (settings: Partial<RedactPayloadsSettings> = {}) =>
    new RedactPayloads(operations.redactionStore, clock, observer, operations.unitOfWork, {
      retentionDays: 30,
      batchSize: 500,
      ...settings,
    });
  const ordning = (entity: string, cpr: string) =>
    append(operations, ordningMessage(entity, cpr, { receivedAt: clock.now() }));
  const gdpr = (entity: string, slettede: string[], cprNumre: string[]) =>
    append(operations, gdprMessage(entity, slettede, cprNumre));
  const deliveredDaysAgo = (id: string, days: number) =>
    operations.markDelivered(id, new Date(NOW.getTime() - days * DAY));
  const redacted = async (id: string) => (await operations.readModel.payloadOf(id)) === null;

  describe('retention', () => {
    it('redacts delivered Ordningsnotifikation payloads past retention and keeps their metadata', async () => {
      const old = await ordning(ENTITY_X, CPR_A);
      deliveredDaysAgo(old, 30.001);
      const young = await ordning(ENTITY_Y, CPR_A);
      deliveredDaysAgo(young, 29.999);
      const pending = await ordning(ENTITY_Z, CPR_A);

      expect(await sweep().execute({ dryRun: false })).to.deep.equal({
        dryRun: false,
        retention: 1,
        gdpr: 0,
        erasuresWaiting: 0,
      });
      expect(await redacted(old)).to.equal(true);
      expect(operations.state(old)).to.include({ status: 'delivered', redactedAt: NOW });
      expect((await operations.readModel.find(old))[0]?.requestId).to.be.a('string');
      expect(await redacted(young)).to.equal(false);
      expect(observer.batches).to.deep.equal([['retention', 1]]);

      clock.advance(DAY);
      expect(await sweep().execute({ dryRun: false })).to.include({ retention: 1 });
      expect(await redacted(young)).to.equal(true);
      expect(await redacted(pending), 'never before delivery').to.equal(false);
    });

    it('honours the configured retention period', async () => {
      const id = await ordning(ENTITY_X, CPR_A);
      deliveredDaysAgo(id, 8);
      expect(await sweep({ retentionDays: 10 }).execute({ dryRun: false })).to.include({ retention: 0 });
      expect(await sweep({ retentionDays: 7 }).execute({ dryRun: false })).to.include({ retention: 1 });
    });

    it('works in batches of batchSize until a short batch', async () => {
      for (let i = 0; i < 5; i++) deliveredDaysAgo(await ordning(ENTITY_X, CPR_A), 40 + i);
      expect(await sweep({ batchSize: 2 }).execute({ dryRun: false })).to.include({ retention: 5 });
      expect(observer.batches).to.deep.equal([
        ['retention', 2],
        ['retention', 2],
        ['retention', 1],
      ]);
      expect(await sweep({ batchSize: 2 }).execute({ dryRun: false })).to.include({ retention: 0 });
    });

    it('leaves a delivered GDPR notification to the erasure rule, however old', async () => {
      const blocker = await ordning(ENTITY_Z, CPR_B);
      const erasure = await gdpr(ENTITY_X, [ENTITY_Z], [CPR_B]);
      deliveredDaysAgo(erasure, 365);
      expect(await sweep().execute({ dryRun: false })).to.deep.include({
        retention: 0,
        gdpr: 0,
        erasuresWaiting: 1,
      });
      expect(await redacted(erasure)).to.equal(false);
      expect(await redacted(blocker)).to.equal(false);
    });
  });

  describe('GDPR erasure', () => {
    it('redacts nothing before the notification is delivered, then what it names, waits for pending rows and finally its own payload', async () => {
      const sameEntity = await ordning(ENTITY_X, CPR_UNRELATED);
      const sameCpr = await ordning(ENTITY_Y, CPR_A);
      const listedEntity = await ordning(ENTITY_Z, CPR_UNRELATED);
      const unrelated = await ordning(ENTITY_W, CPR_UNRELATED);
      const listedEntityPending = await ordning(ENTITY_Z, CPR_UNRELATED);
      const sameCprPending = await ordning(ENTITY_W, CPR_B);
      for (const id of [sameEntity, sameCpr, listedEntity, unrelated]) deliveredDaysAgo(id, 1);
      const erasure = await gdpr(ENTITY_X, [ENTITY_Z.toUpperCase()], [CPR_A, CPR_B]);
      const later = await ordning(ENTITY_X, CPR_A);
      deliveredDaysAgo(later, 1);

      expect(await sweep().execute({ dryRun: false })).to.deep.equal({
        dryRun: false,
        retention: 0,
        gdpr: 0,
        erasuresWaiting: 0,
      });
      for (const id of [sameEntity, sameCpr, listedEntity, erasure])
        expect(await redacted(id)).to.equal(false);

      operations.markDelivered(erasure);
      expect(await sweep().execute({ dryRun: true })).to.include({ gdpr: 3, erasuresWaiting: 1 });
      expect(await redacted(sameEntity), 'a dry run redacts nothing').to.equal(false);
      expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 3, erasuresWaiting: 1 });
      for (const id of [sameEntity, sameCpr, listedEntity]) expect(await redacted(id), id).to.equal(true);
      for (const id of [unrelated, later, listedEntityPending, sameCprPending, erasure]) {
        expect(await redacted(id), id).to.equal(false);
      }
      expect(await operations.readModel.statistics()).to.include({ gdprErasuresWaiting: 1 });

      expect(await sweep().execute({ dryRun: false }), 'nothing new delivered').to.include({
        gdpr: 0,
        erasuresWaiting: 1,
      });

      operations.markDelivered(listedEntityPending);
      expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 1, erasuresWaiting: 1 });
      expect(await redacted(listedEntityPending)).to.equal(true);

      operations.markParked(sameCprPending, 'unroutable: no binding');
      expect(await sweep().execute({ dryRun: false }), 'a parked row holds it back too').to.include({
        gdpr: 0,
        erasuresWaiting: 1,
      });

      operations.markDelivered(sameCprPending);
      expect(await sweep().execute({ dryRun: true })).to.include({ gdpr: 2, erasuresWaiting: 0 });
      expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 2, erasuresWaiting: 0 });
      expect(await redacted(sameCprPending)).to.equal(true);
      expect(await redacted(erasure), 'its own CPR numbers, once its work is done').to.equal(true);
      expect(await redacted(unrelated)).to.equal(false);
      expect(await redacted(later), 'received after the notification').to.equal(false);
      expect(
        observer.batches.filter(([reason]) => reason === 'gdpr').reduce((n, [, c]) => n + c, 0),
      ).to.equal(6);
      expect(await operations.readModel.statistics()).to.include({ gdprErasuresWaiting: 0 });
    });

    it('redacts a notification that names nothing earlier at once, once delivered', async () => {
      const erasure = await gdpr(ENTITY_X, [], [CPR_A]);
      expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 0 });
      operations.markDelivered(erasure);
      expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 1, erasuresWaiting: 0 });
      expect(await redacted(erasure)).to.equal(true);
    });

    it('lets an earlier GDPR notification keep its payload while its own erasure waits', async () => {
      const blocker = await ordning(ENTITY_Z, CPR_B);
      const earlier = await gdpr(ENTITY_Y, [ENTITY_Z], [CPR_A]);
      const laterErasure = await gdpr(ENTITY_X, [], [CPR_A]);
      operations.markDelivered(earlier);
      operations.markDelivered(laterErasure);
      expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 1, erasuresWaiting: 1 });
      expect(await redacted(earlier)).to.equal(false);
      expect(await redacted(laterErasure)).to.equal(true);
      operations.markDelivered(blocker);
      expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 2, erasuresWaiting: 0 });
      expect(await redacted(earlier)).to.equal(true);
    });

    it('erases in batches of batchSize, then its own payload', async () => {
      const targets = [];
      for (let i = 0; i < 5; i++) targets.push(await ordning(ENTITY_X, CPR_A));
      for (const id of targets) deliveredDaysAgo(id, 1);
      operations.markDelivered(await gdpr(ENTITY_X, [], [CPR_A]));
      expect(await sweep({ batchSize: 2 }).execute({ dryRun: false })).to.include({ gdpr: 6 });
      expect(observer.batches).to.deep.equal([
        ['gdpr', 2],
        ['gdpr', 2],
        ['gdpr', 1],
        ['gdpr', 1],
      ]);
    });
  });

  describe('dry runs, the operator record and stopping', () => {
    it('a dry run counts what a sweep would redact, changes nothing and tells the observer nothing', async () => {
      const old = await ordning(ENTITY_X, CPR_A);
      deliveredDaysAgo(old, 40);
      const target = await ordning(ENTITY_Y, CPR_B);
      deliveredDaysAgo(target, 1);
      operations.markDelivered(await gdpr(ENTITY_Z, [], [CPR_B]));
      const dry = await sweep().execute({ dryRun: true });
      expect(dry).to.deep.equal({ dryRun: true, retention: 1, gdpr: 2, erasuresWaiting: 0 });
      expect(await redacted(old)).to.equal(false);
      expect(await redacted(target)).to.equal(false);
      expect(observer.batches).to.deep.equal([]);
      expect(operations.actions).to.deep.equal([]);
      expect(await sweep().execute({ dryRun: false })).to.deep.equal({ ...dry, dryRun: false });
    });

    it('records a sweep an operator asked for, dry or not, with counts and never a payload value', async () => {
      const id = await ordning(ENTITY_X, CPR_A);
      deliveredDaysAgo(id, 40);
      const requestedBy = { actor: 'ops-alice', reason: 'ticket 44' };
      await sweep().execute({ dryRun: true, requestedBy });
      clock.advance(1000);
      await sweep().execute({ dryRun: false, requestedBy });
      const details = { retention: 1, gdpr: 0, erasuresWaiting: 0, retentionDays: 30 };
      const common = { action: 'redact', messageId: null, requestId: null, ...requestedBy, details };
      expect(operations.actions).to.deep.equal([
        { ...common, dryRun: true, at: NOW },
        { ...common, dryRun: false, at: clock.now() },
      ]);
      expect(JSON.stringify(operations.actions)).to.not.include(CPR_A);
    });

    it('a periodic sweep (no operator) records nothing', async () => {
      deliveredDaysAgo(await ordning(ENTITY_X, CPR_A), 40);
      await sweep().execute({ dryRun: false });
      expect(operations.actions).to.deep.equal([]);
    });

    it('stops between batches once its signal is aborted', async () => {
      for (let i = 0; i < 3; i++) deliveredDaysAgo(await ordning(ENTITY_X, CPR_A), 40);
      const stop = new AbortController();
      stop.abort();
      expect(await sweep({ batchSize: 1 }).execute({ dryRun: false, signal: stop.signal })).to.include({
        retention: 0,
        gdpr: 0,
      });
      const stopping = new AbortController();
      const observing: RedactionObserver = {
        redacted: (reason, count) => {
          observer.redacted(reason, count);
          stopping.abort();
        },
      };
      const report = await new RedactPayloads(
        operations.redactionStore,
        clock,
        observing,
        operations.unitOfWork,
        {
          retentionDays: 30,
          batchSize: 1,
        },
      ).execute({ dryRun: false, signal: stopping.signal });
      expect(report).to.include({ retention: 1 });
      expect(observer.batches).to.deep.equal([['retention', 1]]);
    });
  });
});
