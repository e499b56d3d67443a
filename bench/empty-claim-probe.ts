/**
 * npx tsx bench/empty-claim-probe.ts — where an empty claim's time goes (bench/relay/empty-claim.ts's
 * state: 100 000 pending rows over 1 000 entities, every entity's oldest row held by an open claim):
 * EXPLAIN ANALYZE of the two statements such a claim runs, the walk (2 × 500 due rows, none of them
 * a head) and the skip scan (one descent and one skipped lock per entity), each as the claiming relay
 * sends it, medians of 15; then the same with 100 and 10 000 entities, to show what grows with them.
 * BENCH_PROBE_ROWS (100 000). Prints figures only.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../src/adapters/postgres/database';
import { holdConnection } from '../src/adapters/postgres/held-connection';
import { skipScanStatement, walkStatement } from '../src/adapters/postgres/sql/claim';
import { headsInFlight } from './relay/empty-claim';
import { log, percentile } from './support/figures';
import { BATCH } from './support/relay-process';
import { runBench } from './run-bench';

/** Planning and execution time of `query` (EXPLAIN ANALYZE on one connection), medians of 15. */
async function explained(db: Kysely<Database>, query: CompiledQuery): Promise<{ plan: number; run: number }> {
  const connection = await holdConnection(db);
  const plan: number[] = [];
  const run: number[] = [];
  try {
    for (let i = 0; i < 15; i++) {
      await connection.script('begin');
      const { rows } = await connection.db.executeQuery<Record<string, string>>(
        CompiledQuery.raw(`explain (analyze, timing off, summary on) ${query.sql}`, [...query.parameters]),
      );
      await connection.script('rollback');
      for (const row of rows) {
        const line = Object.values(row)[0] ?? '';
        const ms = Number(/([\d.]+) ms/.exec(line)?.[1]);
        if (line.startsWith('Planning Time')) plan.push(ms);
        if (line.startsWith('Execution Time')) run.push(ms);
      }
    }
  } finally {
    connection.release();
  }
  const median = (values: number[]) =>
    percentile(
      values.sort((a, b) => a - b),
      50,
    );
  return { plan: median(plan), run: median(run) };
}

async function probe(pending: number, entities: number): Promise<void> {
  const { database, held } = await headsInFlight('wsb_bench_empty_probe', pending, entities);
  try {
    const heldSeqs = held.messages.map((m) => m.seq);
    // As the holding relay sends them: its held seqs excluded from the walk; the skip scan over all.
    const walk = await explained(
      database.db,
      walkStatement({ limit: BATCH, probeMore: true, held: heldSeqs }).compile(database.db),
    );
    const scan = await explained(
      database.db,
      skipScanStatement({ limit: BATCH, probeMore: true, taken: [] }).compile(database.db),
    );
    await held.release();
    log(
      `${String(entities).padStart(6)} entities, ${pending} pending: walk plan ${walk.plan.toFixed(2)} ms + run ${walk.run.toFixed(2)} ms; ` +
        `skip scan plan ${scan.plan.toFixed(2)} ms + run ${scan.run.toFixed(2)} ms (${((scan.run * 1000) / entities).toFixed(1)} µs per entity)`,
    );
  } finally {
    await database.drop();
  }
}

async function main(): Promise<void> {
  const pending = Number(process.env.BENCH_PROBE_ROWS ?? 100_000);
  log(`empty claim, every entity's oldest row held by an open claim (medians of 15, EXPLAIN ANALYZE)`);
  for (const entities of [100, 1_000, 10_000]) await probe(pending, entities);
}

runBench(main);
