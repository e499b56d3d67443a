import { expect } from 'chai';
import { sql } from 'kysely';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import { gdprSlettetNotifikation, ordningsnotifikation } from '../../support/fixtures';
import { GDPR_PATH, ORDNINGS_PATH, post, type RunningIntake, startIntake } from '../../support/intake';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { deleteTopology, TestConsumer, uniqueName, withChannel } from '../../support/rabbitmq';
import { type RunningRelay, startRelayInProcess } from '../../support/relay';
import { TestIdentityProvider } from '../../support/tokens';

async function until(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('relay: what consumers receive (PostgreSQL + RabbitMQ)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let intake: RunningIntake;
  let relay: RunningRelay | undefined;
  let consumer: TestConsumer | undefined;
  let token: string;
  const exchange = uniqueName('wsb.test.relay');
  const queue = uniqueName('wsb.test.relay.q');
  const lateQueue = uniqueName('wsb.test.relay.late');

  before(async () => {
    database = await createTestDatabase('wsb_relay');
    const idp = await TestIdentityProvider.create();
    token = await idp.token();
    intake = await startIntake({
      unitOfWork: new GroupCommitUnitOfWork(database.db, { maxBatchSize: 100, maxConcurrentBatches: 4 }),
      authenticator: idp.authenticator(),
    });
  });

  after(async () => {
    await relay?.stop();
    await consumer?.close();
    await intake.close();
    await database.drop();
    await deleteTopology(exchange, [queue, lateQueue]);
  });

  /** Rows written by the intake harness name the default exchange; point them at ours. */
  const retarget = () =>
    sql`update outbox set exchange = ${exchange} where seq in (select seq from outbox_pending where not parked)`.execute(
      database.db,
    );
  const row = async (requestId: string) =>
    database.db
      .selectFrom('outbox_audit')
      .selectAll()
      .where('request_id', '=', requestId)
      .executeTakeFirstOrThrow();

  it('declares the topology and publishes both kinds with the contract properties and headers', async () => {
    expect(
      (
        await post(intake.baseUrl, ORDNINGS_PATH, {
          token,
          requestId: 'rl-ord-1',
          body: ordningsnotifikation(),
        })
      ).status,
    ).to.equal(200);
    expect(
      (
        await post(intake.baseUrl, GDPR_PATH, {
          token,
          requestId: 'rl-gdpr-1',
          body: gdprSlettetNotifikation(),
        })
      ).status,
    ).to.equal(200);
    await retarget();
    relay = await startRelayInProcess({
      db: database.db,
      exchange,
      queues: [{ name: queue, bindingKey: '#', type: 'quorum' }],
    });
    await until(async () => (await row('rl-gdpr-1')).status === 'delivered');
    consumer = await TestConsumer.start(queue);
    await consumer.waitFor(2);

    const ord = await row('rl-ord-1');
    const gdpr = await row('rl-gdpr-1');
    expect(ord.status).to.equal('delivered');
    expect(ord.delivered_at).to.be.instanceOf(Date);
    const [first, second] = consumer.messages;
    expect(first?.fields.routingKey).to.equal('ordningsnotifikation.10101');
    expect(first?.fields.exchange).to.equal(exchange);
    expect(JSON.parse(first!.content.toString('utf8'))).to.deep.equal(ord.payload);
    expect(first?.properties).to.include({
      messageId: ord.message_id,
      correlationId: 'rl-ord-1',
      type: 'Ordningsnotifikation',
      contentType: 'application/json',
      deliveryMode: 2,
      timestamp: Math.floor(ord.received_at.getTime() / 1000),
      appId: 'wsb-gateway-test',
    });
    // Every message carries W3C trace context (a new trace here: the requests sent none).
    const { traceparent: firstTrace, ...firstHeaders } = (first?.properties.headers ?? {}) as Record<
      string,
      unknown
    >;
    expect(firstTrace).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
    expect(firstHeaders).to.deep.equal({
      'x-request-id': 'rl-ord-1',
      'jobcenter-kode': '10101',
      'ekstern-identifier': '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b',
      aendringstype: 'Oprettelse',
    });

    expect(second?.fields.routingKey).to.equal('gdprslettetnotifikation.10101');
    expect(JSON.parse(second!.content.toString('utf8'))).to.deep.equal(gdpr.payload);
    expect(second?.properties).to.include({
      messageId: gdpr.message_id,
      correlationId: 'rl-gdpr-1',
      type: 'GdprSlettetNotifikation',
      contentType: 'application/json',
      deliveryMode: 2,
      appId: 'wsb-gateway-test',
    });
    // Every message carries W3C trace context (a new trace here: the requests sent none).
    const { traceparent: secondTrace, ...secondHeaders } = (second?.properties.headers ?? {}) as Record<
      string,
      unknown
    >;
    expect(secondTrace).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
    expect(secondHeaders).to.deep.equal({
      'x-request-id': 'rl-gdpr-1',
      'jobcenter-kode': '10101',
      'ekstern-identifier': '9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
      aendringstype: 'Sletning',
    });
  });

  it('leaves an unroutable message pending (last_error says unroutable) until a queue is bound', async () => {
    const body = ordningsnotifikation({ jobCenterKode: '20202' });
    expect(
      (await post(intake.baseUrl, ORDNINGS_PATH, { token, requestId: 'rl-unroutable-1', body })).status,
    ).to.equal(200);
    // Only the late queue's key would route it; rebind the test queue away from '#'.
    await withChannel(async (channel) => {
      await channel.unbindQueue(queue, exchange, '#');
      await channel.bindQueue(queue, exchange, 'gdprslettetnotifikation.#');
    });
    await retarget();
    await until(async () =>
      /^unroutable: no queue is bound/.test((await row('rl-unroutable-1')).last_error ?? ''),
    );
    const pending = await row('rl-unroutable-1');
    expect(pending.status).to.equal('pending');
    expect(pending.attempts).to.be.greaterThan(0);
    expect(pending.delivered_at).to.equal(null);

    // Declared and bound only, never purged: freshQueue purges after binding, and the relay's retry
    // can route the message into the queue between the two.
    await withChannel(async (channel) => {
      await channel.assertQueue(lateQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await channel.bindQueue(lateQueue, exchange, 'ordningsnotifikation.20202');
    });
    await until(async () => (await row('rl-unroutable-1')).status === 'delivered');
    const late = await TestConsumer.start(lateQueue);
    try {
      await late.waitFor(1);
      expect(late.messages[0]?.properties.messageId).to.equal(pending.message_id);
    } finally {
      await late.close();
    }
  });
});
