import { expect } from 'chai';
import { sql } from 'kysely';
import { insertPendingRows } from '../../support/outbox-rows';
import { checkDelivery } from '../../support/order';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { TEST_AMQP_URL, deleteTopology, TestConsumer, freshQueue, uniqueName } from '../../support/rabbitmq';
import { exited, spawnRelay } from '../../support/relay';

async function counts(database: TestDatabase): Promise<{ delivered: number; pending: number }> {
  const { rows } = await sql<{ delivered: string; pending: string }>`
    select (select count(*) from outbox_delivery) as delivered,
           (select count(*) from outbox_pending where not parked) as pending`.execute(database.db);
  return { delivered: Number(rows[0]?.delivered), pending: Number(rows[0]?.pending) };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function expectedIds(database: TestDatabase): Promise<Map<string, number>> {
  const { rows } = await sql<{ message_id: string; n: number }>`
    select message_id, (payload -> 'ordningsnotifikation' ->> 'n')::int as n from outbox`.execute(
    database.db,
  );
  return new Map(rows.map((r) => [r.message_id, r.n]));
}

describe('relay as a process (wsb-gateway relay)', function () {
  this.timeout(180_000);
  let database: TestDatabase;
  let consumer: TestConsumer | undefined;
  const exchange = uniqueName('wsb.test.proc');
  const queue = uniqueName('wsb.test.proc.q');
  const children: ReturnType<typeof spawnRelay>[] = [];

  const env = () => ({
    DATABASE_URL: database.url,
    AMQP_URL: TEST_AMQP_URL,
    AMQP_EXCHANGE: exchange,
    AMQP_QUEUES: `${queue}:#:quorum`,
    AMQP_APP_ID: 'wsb-gateway-test',
    ADMIN_PORT: '0',
  });

  beforeEach(async () => {
    database = await createTestDatabase('wsb_relay_proc');
    await freshQueue(exchange, queue);
    consumer = await TestConsumer.start(queue);
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    }
    await consumer?.close();
    await database.drop();
  });

  after(() => deleteTopology(exchange, [queue]));

  it('delivers everything after a relay is killed with SIGKILL mid-drain and restarted; duplicates keep their messageId', async () => {
    await insertPendingRows(database.db, { count: 20_000, entities: 500, exchange, prefix: 'kill' });
    const first = spawnRelay(env());
    children.push(first);
    await until(async () => (await counts(database)).delivered >= 3000, 60_000, 'a partial drain');
    first.kill('SIGKILL');
    await exited(first);
    const atKill = await counts(database);
    expect(atKill.pending, 'rows left when killed').to.be.greaterThan(0);

    const second = spawnRelay(env());
    children.push(second);
    await until(async () => (await counts(database)).pending === 0, 90_000, 'the drain to finish');
    await consumer!.waitFor(20_000, 30_000);
    const { duplicates } = checkDelivery(consumer!.messages, await expectedIds(database));
    // Whatever was published but not yet recorded when the relay died goes out again: with 500
    // entities, one claim holds them all, with chains of up to RELAY_CLAIM_MAX_ROWS (4 000) rows.
    expect(duplicates).to.be.at.most(4000);

    second.kill('SIGTERM');
    expect(await exited(second), 'exit code after SIGTERM').to.equal(0);
  });

  it('three relays drain 10 000 messages over 100 entities, each entity in order', async () => {
    await insertPendingRows(database.db, { count: 10_000, entities: 100, exchange, prefix: 'three' });
    for (let i = 0; i < 3; i++) children.push(spawnRelay(env()));
    await until(async () => (await counts(database)).pending === 0, 120_000, 'the drain to finish');
    await consumer!.waitFor(10_000, 30_000);
    const { duplicates } = checkDelivery(consumer!.messages, await expectedIds(database));
    expect(duplicates).to.equal(0);
  });

  it('stops gracefully on SIGTERM: nothing claimed is left locked, the next relay finishes the rest', async () => {
    await insertPendingRows(database.db, { count: 5_000, entities: 50, exchange, prefix: 'term' });
    const first = spawnRelay(env());
    children.push(first);
    await until(async () => (await counts(database)).delivered >= 500, 60_000, 'a partial drain');
    first.kill('SIGTERM');
    expect(await exited(first)).to.equal(0);
    const second = spawnRelay(env());
    children.push(second);
    await until(async () => (await counts(database)).pending === 0, 60_000, 'the drain to finish');
    await consumer!.waitFor(5_000, 30_000);
    const { duplicates } = checkDelivery(consumer!.messages, await expectedIds(database));
    expect(duplicates, 'a graceful stop publishes nothing twice').to.equal(0);
  });
});
