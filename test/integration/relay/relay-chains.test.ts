import { expect } from 'chai';
import { sql } from 'kysely';
import type { MessagePublisher, PublishOutcome, RelayMessage } from '../../../src/application/relay/ports';
import { checkDelivery } from '../../support/order';
import { insertPendingRows } from '../../support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { deleteTopology, TEST_AMQP_URL, TestConsumer, freshQueue, uniqueName } from '../../support/rabbitmq';
import { exited, spawnRelay, startRelayInProcess } from '../../support/relay';

async function delivered(database: TestDatabase): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*) as n from outbox_delivery`.execute(database.db);
  return Number(rows[0]?.n);
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A broker that nacks one chosen message the first time it is published (the message is not
 * enqueued) and records, per entity, whether any message was published while an earlier one of
 * its entity had not been confirmed yet.
 */
class NackOnceAndWatchOrder implements MessagePublisher {
  readonly overtakes: string[] = [];
  nacked = false;
  private readonly confirmed = new Set<string>();
  private readonly lastPublished = new Map<string, string>();

  constructor(
    private readonly inner: MessagePublisher,
    private readonly nackSeq: string,
  ) {}

  ready(signal: AbortSignal): Promise<boolean> {
    return this.inner.ready(signal);
  }

  async publish(messages: readonly RelayMessage[]): Promise<PublishOutcome[]> {
    for (const m of messages) {
      const previous = this.lastPublished.get(m.eksternIdentifier);
      if (previous !== undefined && BigInt(previous) < BigInt(m.seq) && !this.confirmed.has(previous)) {
        this.overtakes.push(`${m.seq} published before ${previous} was confirmed`);
      }
      this.lastPublished.set(m.eksternIdentifier, m.seq);
    }
    const refused = messages.map((m) => m.seq === this.nackSeq && !this.nacked);
    const passed = messages.filter((_, i) => !refused[i]);
    const outcomes = passed.length > 0 ? await this.inner.publish(passed) : [];
    let next = 0;
    return messages.map((m, i): PublishOutcome => {
      if (refused[i]) {
        this.nacked = true;
        return { ok: false, reason: 'nack', detail: 'the broker nacked the message (test)' };
      }
      const outcome = outcomes[next++] ?? { ok: false, reason: 'connection', detail: 'no outcome' };
      if (outcome.ok) this.confirmed.add(m.seq);
      return outcome;
    });
  }
}

describe('relay: per-entity chains keep order through a nack mid-chain and a SIGKILL mid-chain', function () {
  this.timeout(180_000);
  let database: TestDatabase;
  let consumer: TestConsumer | undefined;
  const exchange = uniqueName('wsb.test.chain');
  const queue = uniqueName('wsb.test.chain.q');

  beforeEach(async () => {
    database = await createTestDatabase('wsb_relay_chain');
    await freshQueue(exchange, queue);
    consumer = await TestConsumer.start(queue);
  });

  afterEach(async () => {
    await consumer?.close();
    await database.drop();
  });

  after(() => deleteTopology(exchange, [queue]));

  it('a nacked row stops its chain until it is confirmed; a relay killed mid-chain leaves only duplicates, in order', async () => {
    // Few entities with long runs: every claim holds chains of 128 rows per entity.
    const entities = 4;
    const count = 4_000;
    await insertPendingRows(database.db, { count, entities, exchange, prefix: 'chain' });
    const { rows: ids } = await sql<{ message_id: string; seq: string; n: number }>`
      select message_id, seq, (payload -> 'ordningsnotifikation' ->> 'n')::int as n
        from outbox order by seq`.execute(database.db);
    const expected = new Map(ids.map((r) => [r.message_id, r.n]));
    // Entity 0's 40th row: in the middle of its first chain.
    const nackRow = ids.filter((r) => r.n % entities === 0)[40]!;

    let wrapped: NackOnceAndWatchOrder | undefined;
    const inProcess = await startRelayInProcess({
      db: database.db,
      exchange,
      queues: [{ name: queue, bindingKey: '#', type: 'quorum' }],
      settings: { chainLength: 128, claimMaxRows: 4000, retryBaseMs: 200, retryMaxMs: 400 },
      wrapPublisher: (publisher) => (wrapped = new NackOnceAndWatchOrder(publisher, nackRow.seq)),
    });
    await until(async () => (await delivered(database)) >= 600, 60_000, 'a partial drain');
    await inProcess.stop();
    expect(wrapped?.nacked, 'the chosen row was nacked').to.equal(true);
    expect(wrapped?.overtakes).to.deep.equal([]);
    // Pending or already delivered again: outbox_audit shows the attempts and last error either way.
    const { rows: nackState } = await sql<{ attempts: number; last_error: string | null }>`
      select attempts, last_error from outbox_audit where seq = ${nackRow.seq}`.execute(database.db);
    expect(nackState[0]?.attempts).to.equal(1);
    expect(nackState[0]?.last_error).to.match(/^nack/);

    const env = {
      DATABASE_URL: database.url,
      AMQP_URL: TEST_AMQP_URL,
      AMQP_EXCHANGE: exchange,
      AMQP_QUEUES: `${queue}:#:quorum`,
      AMQP_APP_ID: 'wsb-gateway-test',
      ADMIN_PORT: '0',
      RELAY_CHAIN_LENGTH: '128',
    };
    const first = spawnRelay(env);
    const before = await delivered(database);
    await until(async () => (await delivered(database)) >= before + 600, 60_000, 'the process to deliver');
    first.kill('SIGKILL');
    await exited(first);
    expect(await delivered(database), 'killed mid-drain').to.be.below(count);

    const second = spawnRelay(env);
    try {
      await until(async () => (await delivered(database)) === count, 90_000, 'the drain to finish');
      await consumer!.waitFor(count, 30_000);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
    // Every row arrived; per entity the first copies arrived in row order (the nacked row was not
    // overtaken by the rest of its chain), and duplicates carry the same messageId and body.
    const { duplicates } = checkDelivery(consumer!.messages, expected);
    expect(duplicates, 'at most one claim’s rows go out twice').to.be.at.most(4000);
  });
});
