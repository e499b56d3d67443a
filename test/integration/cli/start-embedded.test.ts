import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gdprSlettetNotifikation, ordningsnotifikation } from '../../support/fixtures';
import { type GatewayProcess, runGateway, startGateway } from '../../support/gateway-process';
import { GDPR_PATH, ORDNINGS_PATH, post } from '../../support/intake';
import { deleteTopology, TestConsumer, uniqueName } from '../../support/rabbitmq';

/**
 * The new user's path, end to end: a fresh data folder, `start` with no database configured, a token
 * from `token`, a POST, and the message on a real RabbitMQ queue.
 */
describe('wsb-gateway start on a fresh machine (embedded database, development auth)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let gateway: GatewayProcess | undefined;
  let consumer: TestConsumer | undefined;
  const exchange = uniqueName('wsb.e2e');
  const queue = uniqueName('wsb.e2e.q');

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wsb-start-'));
  });

  after(async () => {
    await consumer?.close();
    await gateway?.stop('SIGKILL');
    await deleteTopology(exchange, [queue]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepts a notification and delivers it to the queue the relay declared', async () => {
    gateway = startGateway(['start'], {
      DATABASE_URL: undefined,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      CONSOLE_PORT: '0',
      AMQP_EXCHANGE: exchange,
      AMQP_QUEUES: `${queue}:#:classic`,
    });
    const listening = await gateway.waitForLog((l) => l.msg === 'intake listening', 120_000);
    await gateway.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('connected to RabbitMQ'),
      60_000,
    );
    const baseUrl = `http://127.0.0.1:${(listening.address as { port: number }).port}`;
    const token = runGateway(['token'], { DATA_DIR: dataDir }).stdout.trim();
    consumer = await TestConsumer.start(queue);

    expect(
      (await post(baseUrl, ORDNINGS_PATH, { token, requestId: 'e2e-1', body: ordningsnotifikation() }))
        .status,
    ).to.equal(200);
    expect(
      (await post(baseUrl, GDPR_PATH, { token, requestId: 'e2e-2', body: gdprSlettetNotifikation() })).status,
    ).to.equal(200);
    await consumer.waitFor(2, 60_000);

    const [first, second] = consumer.messages;
    expect(first?.properties.correlationId).to.equal('e2e-1');
    expect(first?.properties.type).to.equal('Ordningsnotifikation');
    expect(first?.fields.routingKey).to.equal('ordningsnotifikation.10101');
    expect(JSON.parse(first?.content.toString() ?? '{}')).to.have.nested.property(
      'ordningsnotifikation.eksternIdentifier',
      '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b',
    );
    expect(second?.properties.type).to.equal('GdprSlettetNotifikation');

    const stats = runGateway(['outbox', 'stats', '--json'], { DATABASE_URL: undefined, DATA_DIR: dataDir });
    expect(stats.status, stats.stderr).to.equal(0);
    expect(JSON.parse(stats.stdout)).to.have.nested.property('countByStatus.delivered', 2);

    expect(await gateway.stop('SIGTERM')).to.equal(0);
  });
});
