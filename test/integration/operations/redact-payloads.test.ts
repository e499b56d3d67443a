import { expect } from 'chai';
import type { Clock } from '../../../src/application/clock';
import { RedactPayloads } from '../../../src/application/operations/redact-payloads';
import { GatewayMetrics } from '../../../src/adapters/metrics/gateway-metrics';
import { KyselyOperatorUnitOfWork } from '../../../src/adapters/postgres/kysely-operator-unit-of-work';
import { KyselyPayloadRedactionStore } from '../../../src/adapters/postgres/kysely-payload-redaction-store';
import { RedactionRunner } from '../../../src/adapters/system/redaction-runner';
import { KyselyOutboxReadModel } from '../../../src/adapters/postgres/kysely-outbox-read-model';
import { describeRedactionContract } from '../../support/redaction-contract';
import pino from 'pino';
import { gdprSlettetNotifikation, ordningsnotifikation } from '../../support/fixtures';
import { metricValue } from '../../support/metrics';
import {
  accept,
  deliver,
  payloadOf,
  receivedAgo,
  truncateOutbox,
  updatePending,
} from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const DAY = 86_400_000;
const ENTITY_X = '11111111-1111-4111-8111-111111111111';
const ENTITY_Y = '22222222-2222-4222-8222-222222222222';
const ENTITY_Z = '33333333-3333-4333-8333-333333333333';
const CPR_A = '0101010001';

describe('payload redaction (retention and GDPR) against PostgreSQL', () => {
  let database: TestDatabase;
  let metrics: GatewayMetrics;
  let redact: RedactPayloads;
  const clock: Clock = { now: () => new Date() };

  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => database.drop());
  beforeEach(async () => {
    await truncateOutbox(database.db);
    metrics = new GatewayMetrics();
    redact = new RedactPayloads(
      new KyselyPayloadRedactionStore(database.db),
      clock,
      metrics,
      new KyselyOperatorUnitOfWork(database.db),
      { retentionDays: 30, batchSize: 2 },
    );
  });

  const ordning = (entity: string, cpr: string) =>
    accept(
      database.db,
      'Ordningsnotifikation',
      ordningsnotifikation({ eksternIdentifier: entity }, { cprNummer: cpr }),
    );
  const gdpr = (entity: string, slettede: string[], cprNumre: string[]) =>
    accept(
      database.db,
      'GdprSlettetNotifikation',
      gdprSlettetNotifikation(
        { eksternIdentifier: entity },
        { slettedeExternalIdentifiers: slettede, cprNumre },
      ),
    );
  const redacted = async (id: string) => (await payloadOf(database.db, id)) === null;

  describeRedactionContract('RedactPayloads over PostgreSQL', async () => {
    await truncateOutbox(database.db);
    return {
      now: () => new Date(),
      ordning,
      gdpr,
      deliver: (id, at) => deliver(database.db, id, at),
      park: (id) => updatePending(database.db, id, { parked: true, last_error: 'unroutable: no binding' }),
      redacted,
      erasuresWaiting: async () =>
        (await new KyselyOutboxReadModel(database.db).statistics('exact')).gdprErasuresWaiting,
      sweep: (settings, observer) =>
        new RedactPayloads(
          new KyselyPayloadRedactionStore(database.db),
          clock,
          observer,
          new KyselyOperatorUnitOfWork(database.db),
          settings,
        ),
    };
  });

  describe('retention', () => {
    it('redacts delivered payloads older than the retention period, in batches, and keeps the metadata', async () => {
      const old = [];
      for (let i = 0; i < 5; i++) {
        const id = await ordning(ENTITY_X, CPR_A);
        await deliver(database.db, id, new Date(Date.now() - 31 * DAY));
        old.push(id);
      }
      const recent = await ordning(ENTITY_Y, CPR_A);
      await deliver(database.db, recent, new Date(Date.now() - 29 * DAY));
      const pending = await ordning(ENTITY_Z, CPR_A);
      await receivedAgo(database.db, pending, '90 days');

      const dry = await redact.execute({ dryRun: true });
      expect(dry).to.include({ retention: 5, gdpr: 0 });
      for (const id of old) expect(await redacted(id)).to.equal(false);

      const report = await redact.execute({ dryRun: false });
      expect(report).to.include({ retention: 5, gdpr: 0, erasuresWaiting: 0 });
      for (const id of old) expect(await redacted(id)).to.equal(true);
      expect(await redacted(recent)).to.equal(false);
      expect(await redacted(pending)).to.equal(false);

      const row = await database.db
        .selectFrom('outbox')
        .selectAll()
        .where('message_id', '=', old[0]!)
        .executeTakeFirstOrThrow();
      expect(row.redacted_at).to.be.instanceOf(Date);
      expect(row.request_id).to.match(/^t-/);
      expect(row.ekstern_identifier).to.equal(ENTITY_X);
      expect(await metricValue(metrics, 'wsb_redactions_total', { reason: 'retention' })).to.equal(5);
      // The delivery records of the redacted rows leave the retention sweep's index; the others stay.
      const held = await database.db
        .selectFrom('outbox_delivery')
        .innerJoin('outbox', 'outbox.seq', 'outbox_delivery.seq')
        .select(['outbox.message_id', 'outbox_delivery.payload_held'])
        .execute();
      expect(Object.fromEntries(held.map((r) => [r.message_id, r.payload_held]))).to.deep.equal(
        Object.fromEntries([...old.map((id) => [id, false]), [recent, true]]),
      );

      expect(await redact.execute({ dryRun: false })).to.include({ retention: 0, gdpr: 0 });
    });
  });

  describe('GDPR erasure', () => {
    it('records a sweep an operator asked for in operator_action, with counts only', async () => {
      const id = await ordning(ENTITY_X, CPR_A);
      await deliver(database.db, id, new Date(Date.now() - 40 * DAY));
      await redact.execute({ dryRun: false, requestedBy: { actor: 'ops-alice', reason: 'ticket 42' } });
      const [action] = await database.db.selectFrom('operator_action').selectAll().execute();
      expect(action).to.include({
        action: 'redact',
        actor: 'ops-alice',
        reason: 'ticket 42',
        dry_run: false,
      });
      expect(action?.details).to.include({ retention: 1, gdpr: 0 });
      expect(JSON.stringify(action?.details)).to.not.include(CPR_A);
    });
  });

  describe('the periodic runner the relay runs', () => {
    it('sweeps every interval until stopped', async () => {
      const runner = new RedactionRunner(redact, 30, pino({ level: 'silent' }));
      runner.start(0);
      try {
        const id = await ordning(ENTITY_X, CPR_A);
        await deliver(database.db, id, new Date(Date.now() - 31 * DAY));
        const deadline = Date.now() + 5000;
        while (!(await redacted(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(await redacted(id)).to.equal(true);
      } finally {
        await runner.stop();
      }
      const after = await ordning(ENTITY_Y, CPR_A);
      await deliver(database.db, after, new Date(Date.now() - 31 * DAY));
      await new Promise((r) => setTimeout(r, 150));
      expect(await redacted(after), 'no sweep after stop()').to.equal(false);
    });
  });
});
