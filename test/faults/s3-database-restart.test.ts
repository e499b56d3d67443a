import { expect } from 'chai';
import { progress, report, restartPostgres, Scenario, sleep } from './support/fault-harness';

describe('scenario 3: PostgreSQL restarted during intake (pg_ctlcluster restart)', function () {
  this.timeout(600_000);
  let scenario: Scenario | undefined;

  afterEach(async () => {
    await scenario?.close();
    scenario = undefined;
  });

  it('answers 200 or 503 (never 500, never a hang), delivers every 200, and recovers without a restart', async () => {
    scenario = await Scenario.create('s3');
    const { baseUrl, process: serve } = await scenario.startServe();
    const relay = scenario.startRelay();
    await relay.waitForLog((l) => l.msg === 'connected to RabbitMQ, topology declared', 60_000);

    // ~200 requests/s for ~20 s, client timeout 10 s; the restart lands a few seconds in.
    const loading = scenario.load({
      entities: 100,
      perEntity: 40,
      baseUrls: [baseUrl],
      rate: 200,
      clientTimeoutMs: 10_000,
    });
    await sleep(5_000);
    const restart = { from: performance.now(), to: 0 };
    progress('pg_ctlcluster restart');
    await restartPostgres();
    restart.to = performance.now();
    progress(`PostgreSQL restarted in ${((restart.to - restart.from) / 1000).toFixed(1)} s`);
    await loading;

    const sent = scenario.ledger.sent;
    const statuses = scenario.ledger.statuses();
    const unavailable = sent.filter((s) => s.outcome === 503).length;
    const answeredAfter = sent.filter((s) => s.sentAt > restart.to + 3_000);
    const slowest = Math.max(...sent.map((s) => (s.answeredAt ?? Infinity) - s.sentAt));
    const counts = await scenario.settle();
    report(
      3,
      counts,
      `503 ${unavailable}, restart took ${((restart.to - restart.from) / 1000).toFixed(1)} s, slowest answer ${slowest.toFixed(0)} ms`,
    );
    expect(Object.keys(statuses).sort(), 'statuses: only 200 and 503').to.satisfy((keys: string[]) =>
      keys.every((k) => k === '200' || k === '503'),
    );
    expect(answeredAfter.length, 'requests sent 3 s after the restart').to.be.greaterThan(100);
    expect(
      answeredAfter.filter((s) => s.outcome !== 200).length,
      'requests refused 3 s after the restart (the gateway must recover by itself)',
    ).to.equal(0);
    expect(
      serve.logLines.filter((l) => l.msg === 'request failed'),
      'requests that failed with 500',
    ).to.deep.equal([]);
    expect((await scenario.outboxCounts()).total, 'rows = 200s').to.equal(counts.accepted);
  });
});
