import { expect } from 'chai';
import { Socket } from 'node:net';
import pino from 'pino';
import { AmqpMessagePublisher } from '../../../src/adapters/rabbitmq/amqp-message-publisher';
import type { RelayMessage } from '../../../src/application/relay/ports';
import { deleteTopology, TEST_AMQP_URL, uniqueName } from '../../support/rabbitmq';

/**
 * amqplib writes each message to the socket on its own; the publisher corks the socket for a publish
 * call so that its messages leave in one writev (docs/relay.md, CPU per message). amqplib's writer
 * runs in an immediate, so an uncork scheduled too early lets every message out on its own again.
 */
describe('relay publisher: one publish call, one socket write', function () {
  this.timeout(30_000);
  const exchange = uniqueName('wsb.test.writes');
  const queue = uniqueName('wsb.test.writes.q');
  let publisher: AmqpMessagePublisher | undefined;

  const message = (n: number): RelayMessage => ({
    seq: String(n),
    messageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    requestId: `writes-${n}`,
    kind: 'Ordningsnotifikation',
    eksternIdentifier: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    jobCenterKode: '10101',
    aendringstype: 'Opdatering',
    receivedAt: new Date(),
    exchange,
    routingKey: 'ordningsnotifikation.10101',
    body: Buffer.from(JSON.stringify({ n, text: 'x'.repeat(900) })),
    attempts: 0,
  });

  after(async () => {
    await publisher?.stop();
    await deleteTopology(exchange, [queue]);
  });

  it('sends the 200 messages of one call in one writev, and each is confirmed, on a socket without Nagle', async () => {
    // amqplib sets the socket's no-delay flag itself as it connects: record what it asks for.
    const noDelay: boolean[] = [];
    const { setNoDelay } = Socket.prototype;
    Socket.prototype.setNoDelay = function (this: Socket, value?: boolean) {
      noDelay.push(value ?? true);
      return setNoDelay.call(this, value);
    };
    publisher = new AmqpMessagePublisher(
      {
        url: TEST_AMQP_URL,
        exchange,
        queues: [{ name: queue, type: 'classic', bindingKey: '#' }],
        appId: 'wsb-test',
        confirmTimeoutMs: 10_000,
        reconnectBaseMs: 50,
        reconnectMaxMs: 200,
        connectionName: 'wsb-test socket writes',
      },
      pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    );
    publisher.start();
    try {
      expect(await publisher.ready(AbortSignal.timeout(10_000))).to.equal(true);
    } finally {
      Socket.prototype.setNoDelay = setNoDelay;
    }
    // Nagle's algorithm would hold a publish written while an earlier segment awaits its ACK.
    expect(noDelay).to.deep.equal([true]);

    // Every socket write of this process while the call is written: the publisher's connection is
    // the only socket this test opens.
    const calls = { write: 0, writev: 0, chunks: 0 };
    const { _write: write, _writev: writev } = Socket.prototype;
    Socket.prototype._write = function (this: Socket, ...args: Parameters<typeof write>) {
      calls.write++;
      return write.apply(this, args);
    };
    Socket.prototype._writev = function (this: Socket, chunks, callback) {
      calls.writev++;
      calls.chunks += chunks.length;
      return writev!.call(this, chunks, callback);
    };
    let outcomes;
    try {
      outcomes = await publisher.publish(Array.from({ length: 200 }, (_, i) => message(i + 1)));
    } finally {
      Socket.prototype._write = write;
      Socket.prototype._writev = writev;
    }
    expect(outcomes.every((o) => o.ok)).to.equal(true);
    expect(calls).to.deep.equal({ write: 0, writev: 1, chunks: 200 });
  });
});
