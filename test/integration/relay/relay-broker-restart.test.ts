import { expect } from 'chai';
import { sql } from 'kysely';
import { insertPendingRows } from '../../support/outbox-rows';
import { checkDelivery } from '../../support/order';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { privateBroker } from '../../support/private-engines';
import { TestConsumer, uniqueName, withChannel } from '../../support/rabbitmq';
import { type RunningRelay, startRelayInProcess } from '../../support/relay';
import type { PublishFailureReason } from '../../../src/application/relay/ports';
import { silentRelayObserver } from '../../../src/application/relay/ports';
import { until } from '../../support/waiting';
import { watchRabbitMq } from '../../../scripts/watch-machine-services';

/**
 * Stops a broker of the test's own (a private single-node RabbitMQ on other loopback ports) for a
 * couple of seconds: the machine's RabbitMQ is never touched.
 */
describe('relay across a RabbitMQ restart (rabbitmqctl stop_app / start_app)', function () {
  this.timeout(180_000);
  const broker = privateBroker();
  let database: TestDatabase;
  let relay: RunningRelay | undefined;
  const exchange = uniqueName('wsb.test.restart');
  const queue = uniqueName('wsb.test.restart.q');

  before(async () => {
    database = await createTestDatabase('wsb_relay_restart');
  });

  after(async () => {
    // Each step on its own: a failed test must still leave nothing behind (the broker goes after).
    await relay?.stop().catch(() => undefined);
    await database.drop().catch(() => undefined);
  });

  it('loses nothing, never parks, never counts the outage as attempts, keeps entity order', async () => {
    await insertPendingRows(database.db, { count: 24_000, entities: 80, exchange, prefix: 'restart' });
    const failures = new Map<PublishFailureReason, number>();
    relay = await startRelayInProcess({
      db: database.db,
      exchange,
      amqpUrl: broker().first.url,
      queues: [{ name: queue, bindingKey: '#', type: 'quorum' }],
      confirmTimeoutMs: 5_000,
      settings: { batchSize: 200 },
      observer: {
        ...silentRelayObserver,
        publishFailed: (reason, count) => failures.set(reason, (failures.get(reason) ?? 0) + count),
      },
    });
    const delivered = async () => {
      const { rows } = await sql<{
        n: string;
      }>`select count(*) as n from outbox_delivery`.execute(database.db);
      return Number(rows[0]?.n);
    };
    await until(async () => (await delivered()) >= 500, 60_000, 'a partial drain');
    // .ci/run's watcher of the machine's broker, here on this one: it must see the outage.
    const watch = await watchRabbitMq(broker().first.url, 200);
    await broker().withAppStopped(async () => {
      const atStop = await delivered();
      expect(atStop, 'still draining when the broker stopped').to.be.lessThan(24_000);
      await new Promise((r) => setTimeout(r, 2_000));
    });
    expect(await watch.stop(), 'what the watcher saw').to.include('RabbitMQ connection closed');
    await until(async () => (await delivered()) === 24_000, 120_000, 'the drain to finish');

    const { rows } = await sql<{ parked: string; attempts: string; pending: string }>`
      select count(*) filter (where status = 'parked') as parked,
             count(*) filter (where status = 'pending') as pending,
             coalesce(sum(attempts), 0) as attempts from outbox_audit`.execute(database.db);
    expect(Number(rows[0]?.parked)).to.equal(0);
    expect(Number(rows[0]?.pending)).to.equal(0);
    expect(Number(rows[0]?.attempts), 'attempts used up by the outage').to.equal(0);
    // No failure count is required: stop_app may confirm everything in flight before it closes the
    // connection, and the relay then just waits for the broker. What must hold is the above.
    expect(failures.get('nack') ?? 0, 'an outage is not a nack').to.equal(0);

    // Every row is delivered, so the queue holds all it will: each message once, and the duplicates
    // an outage may cause (at-least-once). Read all of them, not just the first 24 000.
    const { messageCount } = await withChannel(
      async (channel) => channel.checkQueue(queue),
      broker().first.url,
    );
    expect(messageCount, 'messages in the queue').to.be.at.least(24_000);
    const consumer = await TestConsumer.start(queue, broker().first.url);
    try {
      await consumer.waitFor(messageCount, 60_000);
      const ids = await sql<{ message_id: string; n: number }>`
        select message_id, (payload -> 'ordningsnotifikation' ->> 'n')::int as n from outbox`.execute(
        database.db,
      );
      checkDelivery(consumer.messages, new Map(ids.rows.map((r) => [r.message_id, r.n])));
    } finally {
      await consumer.close();
    }
    await withChannel(async (channel) => channel.checkQueue(queue), broker().first.url);
  });
});
