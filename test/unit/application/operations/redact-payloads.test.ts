import { expect } from 'chai';
import { InMemoryOperations } from '../../../support/fakes/in-memory-operations';
import type { RedactionObserver, RedactionReason } from '../../../../src/application/operations/ports';
import {
  RedactPayloads,
  type RedactPayloadsSettings,
} from '../../../../src/application/operations/redact-payloads';
import { append } from '../../../support/operations-fixtures';
import { FixedClock } from '../../../support/fakes/fixed-clock';
import { CPR_A, CPR_B, describeRedactionContract } from '../../../support/redaction-contract';
import {
  ENTITY_X,
  ENTITY_Y,
  ENTITY_Z,
  gdprMessage,
  ordningMessage,
} from '../../../support/operations-contract';

const DAY = 86_400_000;
const NOW = new Date('2025-03-10T08:00:00.000Z');

class RecordingObserver implements RedactionObserver {
  readonly batches: Array<[RedactionReason, number]> = [];
  redacted(reason: RedactionReason, count: number): void {
    this.batches.push([reason, count]);
  }
}

describeRedactionContract('RedactPayloads over the in-memory outbox', () => {
  const clock = new FixedClock(NOW);
  const operations = new InMemoryOperations(undefined, clock);
  return Promise.resolve({
    now: () => clock.now(),
    ordning: (entity, cpr) => append(operations, ordningMessage(entity, cpr, { receivedAt: clock.now() })),
    gdpr: (entity, slettede, cprNumre) => append(operations, gdprMessage(entity, slettede, cprNumre)),
    deliver: (id, at) => Promise.resolve(operations.markDelivered(id, at)),
    park: (id) => Promise.resolve(operations.markParked(id, 'unroutable: no binding')),
    redacted: async (id) => (await operations.readModel.payloadOf(id)) === null,
    erasuresWaiting: async () => (await operations.readModel.statistics('exact')).gdprErasuresWaiting,
    sweep: (settings, observer) =>
      new RedactPayloads(operations.redactionStore, clock, observer, operations.unitOfWork, settings),
  });
});

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
