/**
 * npx tsx bench/drained-claim-probe.ts — what the database side of the latency path costs on the
 * table a large drain leaves behind, before autovacuum has visited it: a 100 000-row backlog over
 * 2 000 entities (BENCH_PROBE_ROWS / _ENTITIES) is drained through the relay store (claims of 500
 * with chains, every row settled delivered; no broker), then, alternating 60 times: one accepted
 * notification (the intake's use case and unit of work), a claim that takes it, its settle, and an
 * empty claim. Medians and p95 of each: on the fresh table, right after the drain (autovacuum has
 * not come yet; since migration 0005 the store vacuums outbox_pending itself every 10 000
 * deliveries), and after a vacuum.
 * Prints figures only.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { KyselyRelayStore } from '../src/adapters/postgres/kysely-relay-store';
import { ordningsnotifikation } from '../test/support/fixtures';
import { accept, insertPendingRows } from '../test/support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres';
import { runBench } from './run-bench';

const ROWS = Number(process.env.BENCH_PROBE_ROWS ?? 100_000);
const ENTITIES = Number(process.env.BENCH_PROBE_ENTITIES ?? 2_000);
const CHAIN = { perEntity: 128, rows: 4000 };

async function timed<T>(into: number[], work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  into.push(performance.now() - started);
  return result;
}

async function probe(database: TestDatabase, label: string): Promise<void> {
  const store = new KyselyRelayStore(database.db);
  const times = {
    accept: [] as number[],
    claim: [] as number[],
    settle: [] as number[],
    empty: [] as number[],
  };
  for (let i = 0; i < 60; i++) {
    await timed(times.accept, () =>
      accept(database.db, 'Ordningsnotifikation', ordningsnotifikation({ eksternIdentifier: randomUUID() })),
    );
    const batch = await timed(times.claim, () => store.claim(500, CHAIN));
    if (batch.messages.length !== 1) throw new Error(`claimed ${batch.messages.length}, expected 1`);
    await timed(times.settle, () => batch.settle([batch.messages[0]!.seq], []));
    const empty = await timed(times.empty, () => store.claim(500, CHAIN));
    if (empty.messages.length !== 0) throw new Error(`empty claim took ${empty.messages.length}`);
  }
  const at = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) * q)] ?? NaN;
  const show = (v: number[]) => `median ${at(v, 0.5).toFixed(2)} ms, p95 ${at(v, 0.95).toFixed(2)} ms`;
  process.stdout.write(
    `${label}:\n  accept ${show(times.accept)}\n  claim of 1 ${show(times.claim)}\n  settle ${show(times.settle)}\n  empty claim ${show(times.empty)}\n`,
  );
}

async function main(): Promise<void> {
  const database = await createTestDatabase('wsb_bench_drained_probe');
  try {
    await probe(database, 'fresh table');
    await insertPendingRows(database.db, {
      count: ROWS,
      entities: ENTITIES,
      exchange: 'bench',
      payloadBytes: 1000,
      prefix: 'drained',
    });
    await sql`vacuum analyze`.execute(database.db);
    const store = new KyselyRelayStore(database.db);
    const started = performance.now();
    let drained = 0;
    for (;;) {
      const batch = await store.claim(500, CHAIN);
      if (batch.messages.length === 0) break;
      await batch.settle(
        batch.messages.map((m) => m.seq),
        [],
      );
      drained += batch.messages.length;
    }
    process.stdout.write(
      `drained ${drained} rows through the store in ${((performance.now() - started) / 1000).toFixed(1)} s (no broker)\n`,
    );
    await probe(database, `right after draining ${ROWS} rows over ${ENTITIES} entities (before autovacuum)`);
    await sql`vacuum`.execute(database.db);
    await probe(database, 'after a vacuum');
  } finally {
    await database.drop();
  }
}

runBench(main);
