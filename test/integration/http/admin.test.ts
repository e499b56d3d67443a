import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import pino from 'pino';
import { createAdminApp, listenAdmin } from '../../../src/adapters/http/admin-app';
import { GatewayMetrics } from '../../../src/adapters/metrics/gateway-metrics';
import { createKysely, createPool } from '../../../src/adapters/postgres/connection';
import { databaseReadiness } from '../../../src/adapters/postgres/database-readiness';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import { KyselyOutboxReadModel } from '../../../src/adapters/postgres/kysely-outbox-read-model';
import { FICTITIOUS_CPR, ordningsnotifikation } from '../../support/fixtures';
import { GDPR_PATH, ORDNINGS_PATH, post, type RunningIntake, startIntake } from '../../support/intake';
import { deliver, receivedAgo, updatePending } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { TestIdentityProvider } from '../../support/tokens';

describe('admin port: health and metrics', () => {
  let database: TestDatabase;
  let metrics: GatewayMetrics;
  let intake: RunningIntake;
  let admin: Server;
  let adminUrl: string;
  let token: string;
  let brokerConnected: boolean | 'throws' | 'hangs' = true;

  before(async () => {
    database = await createTestDatabase();
    const readModel = new KyselyOutboxReadModel(database.db);
    metrics = new GatewayMetrics({ undelivered: () => readModel.undelivered() });
    const idp = await TestIdentityProvider.create();
    token = await idp.token();
    intake = await startIntake({
      unitOfWork: new GroupCommitUnitOfWork(
        database.db,
        { maxBatchSize: 100, maxConcurrentBatches: 4 },
        { batchStarted: metrics.intakeBatch },
      ),
      authenticator: idp.authenticator(),
      metrics,
    });
    const app = createAdminApp({
      metrics,
      logger: pino({ level: 'silent' }),
      checkTimeoutMs: 300,
      readinessChecks: [
        databaseReadiness(database.db),
        {
          name: 'broker',
          check: () => {
            if (brokerConnected === 'throws') return Promise.reject(new Error('channel closed'));
            if (brokerConnected === 'hangs') return new Promise(() => undefined);
            return Promise.resolve(brokerConnected);
          },
        },
      ],
    });
    admin = await listenAdmin(app, 0, '127.0.0.1');
    adminUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
  });

  after(async () => {
    await intake.close();
    await new Promise<void>((resolve) => {
      admin.close(() => resolve());
      admin.closeAllConnections();
    });
    await database.drop();
  });

  const scrape = async () => {
    const response = await fetch(`${adminUrl}/metrics`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.include('text/plain');
    return response.text();
  };
  const sample = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('/health/live answers 200', async () => {
    const response = await fetch(`${adminUrl}/health/live`);
    expect(response.status).to.equal(200);
  });

  it('/health/ready: 200 when every check passes, 503 naming the one that fails, throws or hangs', async () => {
    brokerConnected = true;
    let response = await fetch(`${adminUrl}/health/ready`);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({
      status: 'ready',
      checks: { database: 'ok', broker: 'ok' },
    });

    for (const [state, outcome] of [
      [false, 'failed'],
      ['throws', 'failed'],
      ['hangs', 'timeout'],
    ] as const) {
      brokerConnected = state;
      response = await fetch(`${adminUrl}/health/ready`);
      expect(response.status).to.equal(503);
      expect(await response.json()).to.deep.include({ checks: { database: 'ok', broker: outcome } });
    }
    brokerConnected = true;
  });

  it('/health/ready is 503 when the database is unreachable', async () => {
    const unreachable = createKysely(
      createPool({
        connectionString: 'postgres://postgres@127.0.0.1:1/none',
        poolSize: 1,
        connectionTimeoutMs: 200,
        applicationName: 'test',
      }),
    );
    const app = createAdminApp({
      metrics: new GatewayMetrics(),
      logger: pino({ level: 'silent' }),
      readinessChecks: [databaseReadiness(unreachable)],
    });
    const server = await listenAdmin(app, 0, '127.0.0.1');
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health/ready`);
      expect(response.status).to.equal(503);
      expect(await response.json()).to.deep.include({ checks: { database: 'failed' } });
    } finally {
      server.close();
      await unreachable.destroy();
    }
  });

  it('outbox and HTTP metrics move as messages are accepted, parked and delivered', async () => {
    let text = await scrape();
    expect(sample(text, 'wsb_outbox_pending{status="pending"}')).to.equal(0);
    expect(sample(text, 'wsb_outbox_oldest_pending_age_seconds{status="pending"}')).to.equal(0);

    const posted = await Promise.all(
      [1, 2, 3].map((i) =>
        post(intake.baseUrl, ORDNINGS_PATH, {
          token,
          requestId: `metrics-${i}`,
          body: ordningsnotifikation(),
        }),
      ),
    );
    expect(posted.map((r) => r.status)).to.deep.equal([200, 200, 200]);
    await post(intake.baseUrl, ORDNINGS_PATH, {
      token,
      requestId: 'metrics-1',
      body: ordningsnotifikation(),
    });
    await post(intake.baseUrl, GDPR_PATH, { requestId: 'metrics-unauth', body: {} });

    const messageIdOf = async (requestId: string) =>
      (
        await database.db
          .selectFrom('outbox')
          .select('message_id')
          .where('request_id', '=', requestId)
          .executeTakeFirstOrThrow()
      ).message_id;
    await receivedAgo(database.db, await messageIdOf('metrics-1'), '90 seconds');
    await updatePending(database.db, await messageIdOf('metrics-2'), { parked: true });
    await deliver(database.db, await messageIdOf('metrics-3'));
    metrics.published(1);

    text = await scrape();
    expect(sample(text, 'wsb_outbox_pending{status="pending"}')).to.equal(1);
    expect(sample(text, 'wsb_outbox_pending{status="parked"}')).to.equal(1);
    expect(sample(text, 'wsb_outbox_oldest_pending_age_seconds{status="pending"}')).to.be.within(89, 120);
    expect(sample(text, 'wsb_outbox_delivered_total')).to.equal(1);
    expect(sample(text, `wsb_http_requests_total{route="${ORDNINGS_PATH}",status="200"}`)).to.equal(3);
    expect(sample(text, `wsb_http_requests_total{route="${ORDNINGS_PATH}",status="412"}`)).to.equal(1);
    expect(sample(text, `wsb_http_requests_total{route="${GDPR_PATH}",status="401"}`)).to.equal(1);
    expect(sample(text, `wsb_http_request_duration_seconds_count{route="${ORDNINGS_PATH}"}`)).to.equal(4);
    expect(sample(text, 'wsb_intake_batch_size_sum')).to.be.at.least(4);
    expect(text).to.not.include(FICTITIOUS_CPR);
    expect(text).to.not.include('metrics-1');
  });

  it('exposes the relay hooks: publish failures by reason, confirm latency, batch sizes, redactions', async () => {
    metrics.publishFailed('nack');
    metrics.publishFailed('timeout', 2);
    metrics.confirmLatency(0.004);
    metrics.relayBatch(250);
    metrics.redacted('gdpr', 3);
    const text = await scrape();
    expect(sample(text, 'wsb_relay_publish_failures_total{reason="nack"}')).to.equal(1);
    expect(sample(text, 'wsb_relay_publish_failures_total{reason="timeout"}')).to.equal(2);
    expect(sample(text, 'wsb_relay_publish_failures_total{reason="unroutable"}')).to.equal(0);
    expect(sample(text, 'wsb_relay_confirm_latency_seconds_count')).to.equal(1);
    expect(sample(text, 'wsb_relay_batch_size_sum')).to.equal(250);
    expect(sample(text, 'wsb_redactions_total{reason="gdpr"}')).to.equal(3);
    expect(sample(text, 'wsb_redactions_total{reason="retention"}')).to.equal(0);
  });

  it('keeps serving the other metrics when the outbox cannot be read', async () => {
    const failing = new GatewayMetrics({ undelivered: () => Promise.reject(new Error('down')) });
    failing.httpRequestFinished('/x', 200, 0.01);
    const text = await failing.exposition();
    expect(text).to.include('wsb_http_requests_total{route="/x",status="200"} 1');
    expect(text).to.not.match(/^wsb_outbox_pending\{/m);
  });
});
