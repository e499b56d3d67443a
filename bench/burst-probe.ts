/**
 * Where a one-entity burst's time goes: drains BENCH_BURST_ROWS (5 000) rows of one entity with the
 * real store and publisher, timing every claim, chain publish and settle. Prints figures only.
 */
import pino from 'pino';
import { sql } from 'kysely';
import { KyselyRelayStore } from '../src/adapters/postgres/kysely-relay-store';
import { AmqpMessagePublisher } from '../src/adapters/rabbitmq/amqp-message-publisher';
import { pollingWakeUp } from '../test/support/relay';
import { RelayOutbox } from '../src/application/relay/relay-outbox';
import {
  type ChainLimits,
  type MessagePublisher,
  type OutboxRelayStore,
  silentRelayObserver,
} from '../src/application/relay/ports';
import { insertPendingRows } from '../test/support/outbox-rows';
import { createTestDatabase } from '../test/support/postgres';
import { deleteTopology, TEST_AMQP_URL, uniqueName } from '../test/support/rabbitmq';
import { runBench } from './run-bench';

const ROWS = Number(process.env.BENCH_BURST_ROWS ?? 5000);
const ENTITIES = Number(process.env.BENCH_BURST_ENTITIES ?? 1);

async function main(): Promise<void> {
  const database = await createTestDatabase('wsb_burst_probe');
  const exchange = uniqueName('wsb.burst');
  const queue = uniqueName('wsb.burst.q');
  const timings = {
    claim: [] as number[],
    claimRows: [] as number[],
    settle: [] as number[],
    publish: [] as number[],
  };
  try {
    await insertPendingRows(database.db, {
      count: ROWS,
      entities: ENTITIES,
      exchange,
      payloadBytes: 1024,
      prefix: 'burst',
    });
    await sql`vacuum analyze outbox, outbox_pending`.execute(database.db);
    const inner = new KyselyRelayStore(database.db);
    const store: OutboxRelayStore = {
      claim: async (limit: number, chain?: ChainLimits) => {
        const t = performance.now();
        const batch = await inner.claim(limit, chain);
        timings.claim.push(performance.now() - t);
        timings.claimRows.push(batch.messages.length);
        return {
          messages: batch.messages,
          dueRowsLeft: batch.dueRowsLeft,
          release: () => batch.release(),
          settle: async (d, f) => {
            const s = performance.now();
            await batch.settle(d, f);
            timings.settle.push(performance.now() - s);
          },
        };
      },
    };
    const amqp = new AmqpMessagePublisher(
      {
        url: TEST_AMQP_URL,
        exchange,
        queues: [{ name: queue, bindingKey: '#', type: 'quorum' }],
        appId: 'probe',
        confirmTimeoutMs: 10_000,
        reconnectBaseMs: 100,
        reconnectMaxMs: 1000,
        connectionName: 'burst-probe',
      },
      pino({ level: 'silent' }),
    );
    amqp.start();
    const publisher: MessagePublisher = {
      ready: (s) => amqp.ready(s),
      publish: async (m) => {
        const t = performance.now();
        const r = await amqp.publish(m);
        if (m.length === 1) timings.publish.push(performance.now() - t);
        return r;
      },
    };
    let delivered = 0;
    let drained!: () => void;
    const done = new Promise<void>((r) => (drained = r));
    const relay = new RelayOutbox(
      store,
      publisher,
      pollingWakeUp,
      { now: () => new Date() },
      {
        ...silentRelayObserver,
        delivered: (n) => {
          delivered += n;
          if (delivered >= ROWS) drained();
        },
      },
      {
        batchSize: 500,
        inFlightBatches: 6,
        idlePollMs: 100,
        retryBaseMs: 50,
        retryMaxMs: 500,
        chainLength: Number(process.env.RELAY_CHAIN_LENGTH ?? 128),
        claimMaxRows: Number(process.env.RELAY_CLAIM_MAX_ROWS ?? 4000),
      },
    );
    const abort = new AbortController();
    const started = performance.now();
    const running = relay.execute(abort.signal);
    await done;
    const seconds = (performance.now() - started) / 1000;
    abort.abort();
    await running;
    await amqp.stop();
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? NaN;
    console.log(
      `${ROWS} rows × ${ENTITIES} entities: ${seconds.toFixed(2)} s, ${(ROWS / seconds).toFixed(0)} msg/s`,
    );
    const empty = timings.claim.filter((_, i) => timings.claimRows[i] === 0);
    const full = timings.claim.filter((_, i) => (timings.claimRows[i] ?? 0) > 0);
    console.log(
      `claims: ${full.length} non-empty (sum ${sum(full).toFixed(0)} ms, median ${med(full).toFixed(1)} ms), ${empty.length} empty (sum ${sum(empty).toFixed(0)} ms, median ${med(empty).toFixed(1)} ms)`,
    );
    console.log(
      `settles: ${timings.settle.length} (sum ${sum(timings.settle).toFixed(0)} ms, median ${med(timings.settle).toFixed(1)} ms)`,
    );
    console.log(
      `single publishes: ${timings.publish.length} (sum ${sum(timings.publish).toFixed(0)} ms, median ${med(timings.publish).toFixed(2)} ms)`,
    );
  } finally {
    await deleteTopology(exchange, [queue]).catch(() => undefined);
    await database.drop();
  }
}

runBench(main);
