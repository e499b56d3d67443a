/**
 * npx tsx bench/walk-plan-probe.ts — what a steady-traffic claim's walk costs on a table of a few
 * pending rows (the latency budget's "claim started → rows locked"): PostgreSQL's planning and
 * execution time of the production walk statement (EXPLAIN ANALYZE, median of 20), and its round trip
 * from Node against a trivial statement's and against the same statement prepared once and run with
 * EXECUTE on one session (medians of 200).
 * Prints figures only.
 */
import { CompiledQuery, sql } from 'kysely';
import { walkStatement } from '../src/adapters/postgres/sql/claim';
import { insertPendingRows } from '../test/support/outbox-rows';
import { createTestDatabase } from '../test/support/postgres';
import { log, percentile } from './support/figures';
import { runBench } from './run-bench';

async function main(): Promise<void> {
  const database = await createTestDatabase('wsb_bench_walk_plan');
  try {
    await insertPendingRows(database.db, { count: 3, entities: 3, exchange: 'bench', payloadBytes: 1024 });
    await sql`vacuum analyze outbox, outbox_pending`.execute(database.db);
    const walk = walkStatement({ limit: 500, probeMore: true, held: [] }).compile(database.db);
    const planning: number[] = [];
    const execution: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { rows } = await database.db.executeQuery<Record<string, string>>(
        CompiledQuery.raw(`explain (analyze, timing off, summary on) ${walk.sql}`, [...walk.parameters]),
      );
      for (const row of rows) {
        const line = Object.values(row)[0] ?? '';
        const ms = Number(/([\d.]+) ms/.exec(line)?.[1]);
        if (line.startsWith('Planning Time')) planning.push(ms);
        if (line.startsWith('Execution Time')) execution.push(ms);
      }
    }
    const roundTrip = async (query: CompiledQuery): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 200; i++) {
        const started = performance.now();
        await database.db.executeQuery(query);
        times.push(performance.now() - started);
      }
      return percentile(
        times.sort((x, y) => x - y),
        50,
      );
    };
    // The same statement prepared once on one session (PREPARE … AS) and run with EXECUTE: what a
    // named prepared walk would save each claim.
    const prepared = await database.db.connection().execute(async (session) => {
      await session.executeQuery(CompiledQuery.raw(`prepare wsb_walk_probe as ${walk.sql}`));
      const args = walk.parameters
        .map((p) => (typeof p === 'number' ? String(p) : `'${String(p)}'`))
        .join(', ');
      const execute = CompiledQuery.raw(`execute wsb_walk_probe(${args})`);
      const median = async (query: CompiledQuery): Promise<number> => {
        const times: number[] = [];
        for (let i = 0; i < 200; i++) {
          const started = performance.now();
          await session.executeQuery(query);
          times.push(performance.now() - started);
        }
        return percentile(
          times.sort((x, y) => x - y),
          50,
        );
      };
      // Alternating, so that both see the same machine.
      const unnamed = [await median(walk)];
      const named = [await median(execute)];
      unnamed.push(await median(walk));
      named.push(await median(execute));
      return { unnamed: (unnamed[0]! + unnamed[1]!) / 2, named: (named[0]! + named[1]!) / 2 };
    });
    const sorted = (values: number[]) => values.sort((x, y) => x - y);
    log(
      `walk on 3 pending rows: planning ${percentile(sorted(planning), 50).toFixed(3)} ms, execution ${percentile(sorted(execution), 50).toFixed(3)} ms (medians of 20); ` +
        `round trip from Node: walk ${(await roundTrip(walk)).toFixed(3)} ms, on one session ${prepared.unnamed.toFixed(3)} ms as sent today and ${prepared.named.toFixed(3)} ms prepared once and EXECUTEd, select 1 ${(await roundTrip(sql`select 1`.compile(database.db))).toFixed(3)} ms (medians of 200)`,
    );
  } finally {
    await database.drop();
  }
}

runBench(main);
