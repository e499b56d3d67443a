/**
 * Part 1 of bench/relay.ts: a backlog drained by the relay against raw amqplib confirm publishing
 * of the same messages with the same window, for the workloads of BENCH_DRAINS.
 */
import { sql } from 'kysely';
import { silentRelayObserver } from '../../src/application/relay/ports';
import { deleteTopology, freshQueue, uniqueName } from '../../test/support/rabbitmq';
import { startRelayInProcess } from '../../test/support/relay';
import { peakRssOf } from '../intake';
import { databaseWithBacklog, pendingMessages, rawPublish } from '../support/backlog';
import { cpuSecondsOf, postgresCpuMeter } from '../support/cpu';
import { log } from '../support/figures';
import { BATCH, IN_FLIGHT, startRelayProcess, WINDOW } from '../support/relay-process';

export interface DrainFigures {
  rows: number;
  entities: number;
  rawMessagesPerSecond: number;
  /** Raw publishing that waits for every confirm (window 1), measured only for one-entity bursts. */
  rawWindow1MessagesPerSecond: number;
  relayMessagesPerSecond: number;
  ratio: number;
  /** Peak RSS of the relay process (only when it ran as `wsb-gateway relay`), bytes. */
  relayPeakRssBytes: number;
  /** CPU seconds of the relay (process, or this whole process when in-process) during the drain. */
  relayCpuSeconds: number;
  /** The relay's CPU per message delivered, µs. */
  relayCpuMicrosPerMessage: number;
  /** The raw publisher's CPU per message (this process, around the window-sized raw publishes), µs. */
  rawCpuMicrosPerMessage: number;
  /** relayCpuMicrosPerMessage ÷ rawCpuMicrosPerMessage (target ≤ 1.5). */
  cpuRatio: number;
  /** CPU seconds of every PostgreSQL process on the machine during the drain. */
  postgresCpuSeconds: number;
  drainSeconds: number;
}

/**
 * Drains `rows` pending ~1 KB rows spread over `entities` entities (row i belongs to entity
 * i mod entities) with the relay, and publishes the same messages with raw amqplib (before and
 * after, averaged), same window. `relay: 'process'` runs `wsb-gateway relay` as its own process
 * (timed from its "connected" log line, so start-up is not counted) and reads its peak RSS and
 * CPU; `'in-process'` runs the relay in this process. `env` adds relay settings (process only).
 */
export async function measureDrain(
  rows: number,
  relay: 'in-process' | 'process' = 'in-process',
  entities = rows / 10,
  env: Record<string, string> = {},
): Promise<DrainFigures> {
  log(
    `\n== 1. backlog drain: ${rows} pending rows (~1 KB payload, ${entities} entities × ${rows / entities}) → one quorum queue ${JSON.stringify(env)}`,
  );
  const exchange = uniqueName('wsb.bench.drain');
  const queue = uniqueName('wsb.bench.drain.q');
  const database = await databaseWithBacklog('wsb_bench_drain', {
    count: rows,
    entities,
    exchange,
    payloadBytes: 1024,
    prefix: 'drain',
  });
  try {
    const messages = await pendingMessages(database);
    log(
      `   body size ${Buffer.byteLength(messages[0]!.body)} bytes; window ${WINDOW} (batch ${BATCH} × ${IN_FLIGHT} in flight)`,
    );

    await freshQueue(exchange, queue);
    const rawBefore = await rawPublish(exchange, messages, WINDOW);
    log(
      `   raw amqplib confirm channel:  ${rawBefore.messagesPerSecond.toFixed(0)} msg/s, CPU ${rawBefore.cpuMicrosPerMessage.toFixed(1)} µs/msg`,
    );
    let rawWindow1 = NaN;
    if (entities === 1) {
      await freshQueue(exchange, queue);
      rawWindow1 = (await rawPublish(exchange, messages, 1)).messagesPerSecond;
      log(`   raw amqplib, window 1 (wait for every confirm): ${rawWindow1.toFixed(0)} msg/s`);
    }

    await freshQueue(exchange, queue);
    // The end is the relay's own report of committed deliveries: polling `count(*) … pending`
    // every 20 ms (as this bench used to) took ~100 ms per poll mid-drain and so competed with
    // the relay for the same two cores. The count is checked once afterwards.
    let ours: number;
    let relayPeakRssBytes = NaN;
    let relayCpu = NaN;
    let pgCpu = NaN;
    let seconds = NaN;
    if (relay === 'process') {
      // The relay process reports each committed batch in a debug log line `delivered {count}`.
      const child = await startRelayProcess(database.url, exchange, 'debug', env);
      try {
        const started = performance.now();
        const cpuBefore = cpuSecondsOf(child.child.pid);
        const pgMeter = postgresCpuMeter();
        const deliveredSoFar = () =>
          child.logLines.reduce((sum, l) => sum + (l.msg === 'delivered' ? Number(l.count) : 0), 0);
        while (deliveredSoFar() < rows) await new Promise((res) => setTimeout(res, 20));
        seconds = (performance.now() - started) / 1000;
        relayCpu = cpuSecondsOf(child.child.pid) - cpuBefore;
        pgCpu = pgMeter();
        ours = rows / seconds;
        relayPeakRssBytes = peakRssOf(child.child.pid);
        const claims = child.logLines.filter((l) => l.msg === 'claimed a batch');
        const claimed = claims.reduce((sum, l) => sum + Number(l.size), 0);
        log(`   ${claims.length} claims, ${(claimed / claims.length).toFixed(0)} rows each on average`);
      } finally {
        await child.stop();
      }
    } else {
      let delivered = 0;
      let drained!: () => void;
      const done = new Promise<void>((resolve) => (drained = resolve));
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const pgMeter = postgresCpuMeter();
      const running = await startRelayInProcess({
        db: database.db,
        exchange,
        queues: [{ name: queue, bindingKey: '#', type: 'quorum' }],
        settings: {
          batchSize: BATCH,
          inFlightBatches: IN_FLIGHT,
          chainLength: Number(env.RELAY_CHAIN_LENGTH ?? 128),
          claimMaxRows: Number(env.RELAY_CLAIM_MAX_ROWS ?? 4000),
        },
        observer: {
          ...silentRelayObserver,
          delivered: (count) => {
            delivered += count;
            if (delivered >= rows) drained();
          },
        },
      });
      await done;
      seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      relayCpu = (cpu.user + cpu.system) / 1e6;
      pgCpu = pgMeter();
      ours = rows / seconds;
      await running.stop();
    }
    const { rows: left } = await sql<{
      n: string;
    }>`select count(*) as n from outbox_pending`.execute(database.db);
    if (Number(left[0]?.n) !== 0) throw new Error(`${left[0]?.n} rows left undelivered`);
    log(
      `   relay${relay === 'process' ? ' process' : ''} (claim → publish → confirm → mark delivered): ${ours.toFixed(0)} msg/s in ${seconds.toFixed(1)} s; CPU relay ${relayCpu.toFixed(1)} s, PostgreSQL (all) ${pgCpu.toFixed(1)} s; peak RSS ${(relayPeakRssBytes / 1048576).toFixed(0)} MB`,
    );

    await freshQueue(exchange, queue);
    const rawAfter = await rawPublish(exchange, messages, WINDOW);
    log(
      `   raw amqplib again:            ${rawAfter.messagesPerSecond.toFixed(0)} msg/s, CPU ${rawAfter.cpuMicrosPerMessage.toFixed(1)} µs/msg`,
    );
    const raw = (rawBefore.messagesPerSecond + rawAfter.messagesPerSecond) / 2;
    const rawCpu = (rawBefore.cpuMicrosPerMessage + rawAfter.cpuMicrosPerMessage) / 2;
    const relayCpuPerMessage = (relayCpu * 1e6) / rows;
    log(
      `   RESULT drain ${entities} entities × ${rows / entities}: relay ${ours.toFixed(0)} msg/s vs raw ${raw.toFixed(0)} msg/s = ${(ours / raw).toFixed(2)}×${entities === 1 ? `; vs raw window 1 ${rawWindow1.toFixed(0)} msg/s = ${(ours / rawWindow1).toFixed(2)}×` : ''}; CPU per message relay ${relayCpuPerMessage.toFixed(1)} µs vs raw ${rawCpu.toFixed(1)} µs = ${(relayCpuPerMessage / rawCpu).toFixed(2)}×`,
    );
    return {
      rows,
      entities,
      rawMessagesPerSecond: raw,
      rawWindow1MessagesPerSecond: rawWindow1,
      relayMessagesPerSecond: ours,
      ratio: ours / raw,
      relayPeakRssBytes,
      relayCpuSeconds: relayCpu,
      relayCpuMicrosPerMessage: relayCpuPerMessage,
      rawCpuMicrosPerMessage: rawCpu,
      cpuRatio: relayCpuPerMessage / rawCpu,
      postgresCpuSeconds: pgCpu,
      drainSeconds: seconds,
    };
  } finally {
    await deleteTopology(exchange, [queue]);
    await database.drop();
  }
}

/**
 * The issue's drain workloads, `rows×entities` comma-separated in BENCH_DRAINS: uniform (one row
 * per entity), after an outage (1 000 entities × 50) and one entity's burst.
 */
export function drainWorkloads(): Array<{ rows: number; entities: number }> {
  return (process.env.BENCH_DRAINS ?? '100000x100000,50000x1000,5000x1').split(',').map((w) => {
    const [rows, entities] = w.split('x').map(Number);
    return { rows: rows ?? 0, entities: entities ?? 1 };
  });
}
