import { expect } from 'chai';
import { privatePostgres } from '../support/private-engines';
import { watchPostgres } from '../../scripts/watch-machine-services';
import { TcpProxy } from '../support/tcp-proxy';
import { progress, report, Scenario, scenarios, sleep, tally } from './support/fault-harness';

/**
 * Intake under load while the database goes away: `fault` takes it away and brings it back.
 * Every request must be answered 200 or 503 within the client timeout, every 200 delivered, and
 * the processes must recover by themselves.
 */
async function intakeThroughOutage(
  scenario: Scenario,
  label: string,
  fault: () => Promise<void>,
  databaseUrl = scenario.database.url,
): Promise<void> {
  const { baseUrl, process: serve } = await scenario.startServe({ DATABASE_URL: databaseUrl });
  const relay = scenario.startRelay({ DATABASE_URL: databaseUrl });
  await relay.waitForLog((l) => l.msg === 'connected to RabbitMQ, topology declared', 60_000);

  // ~200 requests/s for ~20 s, client timeout 10 s; the fault lands a few seconds in.
  const loading = scenario.load({
    entities: 100,
    perEntity: 40,
    baseUrls: [baseUrl],
    rate: 200,
    clientTimeoutMs: 10_000,
  });
  await sleep(5_000);
  const outage = { from: performance.now(), to: 0 };
  await fault();
  outage.to = performance.now();
  progress(`${label} took ${((outage.to - outage.from) / 1000).toFixed(1)} s`);
  await loading;

  const sent = scenario.ledger.sent;
  const tries = scenario.ledger.attemptStatuses();
  const unavailable = tries['503'] ?? 0;
  const answeredAfter = sent.filter((s) => s.sentAt > outage.to + 3_000);
  const slowest = Math.max(...sent.map((s) => (s.answeredAt ?? Infinity) - s.sentAt));
  const inDoubt = serve.logLines
    .filter((l) => l.msg === 'connection lost during COMMIT: commit in doubt resolved')
    .map((l) => String(l.outcome));
  const counts = await scenario.settle();
  report(
    3,
    counts,
    `${label}: tries ${JSON.stringify(tries)}, 503 ${unavailable}, commits in doubt ${JSON.stringify(tally(inDoubt))}` +
      `, accepted on retry (412) ${scenario.ledger.acceptedOnRetry}, outage ${((outage.to - outage.from) / 1000).toFixed(1)} s` +
      `, slowest answer ${slowest.toFixed(0)} ms`,
  );
  expect(Object.keys(tries).sort(), 'answers: only 200, 503, and 412 to a retry').to.satisfy(
    (keys: string[]) => keys.every((k) => k === '200' || k === '503' || k === '412'),
  );
  expect(
    sent.filter((s) => (s.attempts ?? [])[0] === 412),
    '412 to a first try',
  ).to.deep.equal([]);
  expect(answeredAfter.length, 'requests sent 3 s after the outage').to.be.greaterThan(100);
  expect(
    answeredAfter.filter((s) => (s.attempts ?? [])[0] !== 200).length,
    'requests refused 3 s after the outage (the gateway must recover by itself)',
  ).to.equal(0);
  expect(
    serve.logLines.filter((l) => l.msg === 'request failed'),
    'requests that failed with 500',
  ).to.deep.equal([]);
  expect((await scenario.outboxCounts()).total, 'rows = 200s').to.equal(counts.accepted);
}

/** The server restarted is one of the scenario's own: the machine's PostgreSQL is never touched. */
describe('scenario 3: PostgreSQL restarted during intake', function () {
  const createScenario = scenarios(this);
  const postgres = privatePostgres();
  let proxy: TcpProxy | undefined;

  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  it('pg_ctl restart: answers 200 or 503 (never 500, never a hang), delivers every 200, recovers without a restart', async () => {
    const scenario = await createScenario('s3', { postgresServerUrl: postgres().url });
    // .ci/run's watcher of the machine's PostgreSQL, here on this one: it must see the restart.
    const watch = await watchPostgres(postgres().url, 200);
    await intakeThroughOutage(scenario, 'pg_ctl restart', async () => {
      progress('pg_ctl restart');
      await postgres().restart();
    });
    expect((await watch.stop()).join('\n'), 'what the watcher saw').to.include('PostgreSQL restarted');
  });

  it('variant: every connection cut and refused for 3 s by a TCP proxy in front of PostgreSQL', async () => {
    const scenario = await createScenario('s3b');
    const target = new URL(scenario.database.url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(scenario.database.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const cutting = proxy;
    await intakeThroughOutage(
      scenario,
      'TCP proxy cut',
      async () => {
        progress('proxy: cut');
        cutting.cut();
        await sleep(3_000);
        cutting.restore();
        progress('proxy: restored');
      },
      viaProxy.toString(),
    );
  });
});
