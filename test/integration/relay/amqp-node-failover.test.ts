import { expect } from 'chai';
import pino from 'pino';
import { AmqpMessagePublisher } from '../../../src/adapters/rabbitmq/amqp-message-publisher';
import type { RelayMessage } from '../../../src/application/relay/ports';
import { deleteTopology, TEST_AMQP_URL, TestConsumer, uniqueName, withChannel } from '../../support/rabbitmq';
import { TcpProxy } from '../../support/tcp-proxy';

/**
 * AMQP_URL as a list of a cluster's nodes: the publisher connects to any node that answers and,
 * when its node goes away, to another one — without a restart. Two TCP proxies in front of the
 * one local broker stand in for two nodes (the three-node cluster runs in the fault suite).
 */
describe('relay publisher: AMQP_URL with several nodes', function () {
  this.timeout(60_000);
  const exchange = uniqueName('wsb.test.failover');
  const queue = uniqueName('wsb.test.failover.q');
  const broker = new URL(TEST_AMQP_URL);
  let first: TcpProxy;
  let second: TcpProxy;
  let publisher: AmqpMessagePublisher | undefined;
  let consumer: TestConsumer | undefined;

  const via = (proxy: TcpProxy | number) => {
    const url = new URL(TEST_AMQP_URL);
    url.host = `127.0.0.1:${typeof proxy === 'number' ? proxy : proxy.port}`;
    return url.toString();
  };
  const message = (n: number): RelayMessage => ({
    seq: String(n),
    messageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    requestId: `failover-${n}`,
    kind: 'Ordningsnotifikation',
    eksternIdentifier: '00000000-0000-4000-8000-00000000f00d',
    jobCenterKode: '10101',
    aendringstype: 'Opdatering',
    receivedAt: new Date(),
    exchange,
    routingKey: 'ordningsnotifikation.10101',
    body: Buffer.from(JSON.stringify({ n })),
    attempts: 0,
  });
  const startPublisher = (
    url: string,
    logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    declare = true,
  ) => {
    publisher = new AmqpMessagePublisher(
      {
        url,
        exchange,
        queues: declare ? [{ name: queue, type: 'classic', bindingKey: '#' }] : [],
        appId: 'wsb-test',
        confirmTimeoutMs: 5_000,
        reconnectBaseMs: 50,
        reconnectMaxMs: 200,
        connectionName: 'wsb-test failover',
      },
      logger,
    );
    publisher.start();
    return publisher;
  };
  const readyWithin = async (p: AmqpMessagePublisher, ms: number) => p.ready(AbortSignal.timeout(ms));

  before(async () => {
    first = await TcpProxy.start(broker.hostname, Number(broker.port || 5672));
    second = await TcpProxy.start(broker.hostname, Number(broker.port || 5672));
  });

  afterEach(async () => {
    await publisher?.stop();
    publisher = undefined;
    await consumer?.close();
    consumer = undefined;
    first.restore();
    second.restore();
  });

  after(async () => {
    await first.close();
    await second.close();
    await deleteTopology(exchange, [queue]);
  });

  it('skips a node that refuses connections and publishes through the next', async () => {
    const closedPort = await TcpProxy.start('127.0.0.1', 1);
    closedPort.cut();
    const p = startPublisher(`${via(closedPort)}, ${via(second)}`);
    expect(await readyWithin(p, 10_000)).to.equal(true);
    expect(await p.publish([message(1)])).to.deep.equal([{ ok: true }]);
    await closedPort.close();
  });

  it('fails over to another node when its node goes away, and publishes there with the same messageId', async () => {
    const p = startPublisher(`${via(first)},${via(second)}`);
    expect(await readyWithin(p, 10_000)).to.equal(true);
    consumer = await TestConsumer.start(queue);
    expect(await p.publish([message(2)])).to.deep.equal([{ ok: true }]);

    first.cut(); // the node it is connected to goes away, and stays away
    const lostAt = performance.now();
    let outcome = await p.publish([message(3)]);
    while (!outcome[0]?.ok && performance.now() - lostAt < 20_000) {
      await readyWithin(p, 1_000);
      outcome = await p.publish([message(3)]);
    }
    expect(outcome).to.deep.equal([{ ok: true }]);
    await consumer.waitFor(2);
    expect(consumer.messages.map((m) => m.properties.messageId)).to.include.members([
      message(2).messageId,
      message(3).messageId,
    ]);
  });

  it('reconnects after 3 nacks in a row: a channel that nacks everything is taken for sick', async () => {
    // A queue that refuses every message (length 0, reject-publish) makes the broker nack.
    const refusing = uniqueName('wsb.test.refusing');
    await withChannel(async (channel) => {
      await channel.assertExchange(exchange, 'topic', { durable: true });
      await channel.assertQueue(refusing, {
        durable: true,
        arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' },
      });
      await channel.bindQueue(refusing, exchange, 'refuse.#');
    });
    const lines: Array<{ msg?: string }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    try {
      const p = startPublisher(via(second), logger, false);
      expect(await readyWithin(p, 10_000)).to.equal(true);
      const refused = { ...message(10), routingKey: 'refuse.10101' };
      for (let i = 0; i < 3; i++) {
        expect((await p.publish([refused]))[0]).to.include({ ok: false, reason: 'nack' });
      }
      const connects = () => lines.filter((l) => l.msg === 'connected to RabbitMQ, topology declared').length;
      const deadline = Date.now() + 10_000;
      while (connects() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(lines.map((l) => l.msg)).to.include(
        'RabbitMQ nacks every publish on this channel: reconnecting',
      );
      expect(connects(), 'connections made').to.equal(2);
    } finally {
      await deleteTopology(exchange, [refusing]);
    }
  });
});
