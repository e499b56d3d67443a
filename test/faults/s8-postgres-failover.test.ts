import { expect } from 'chai';
import { sql } from 'kysely';
import { TcpProxy } from '../support/tcp-proxy';
import { progress, report, Scenario, sleep } from './support/fault-harness';
import { PostgresPair } from '../support/private-engines';

/**
 * A PostgreSQL primary with a streaming standby of the suite's own, behind the suite's TCP proxy
 * (standing in for the failover proxy or virtual IP production has). During intake at a steady
 * rate the primary is SIGKILLed, the standby promoted and the proxy pointed at it. Intake and
 * relay must recover without a restart, answer only 200 or 503 (412 to a retry), never 500 and
 * never hang. With synchronous replication every 200 must be delivered; with asynchronous
 * replication the scenario reports what was lost — the finding docs/deployment.md is built on.
 */
describe('scenario 8: PostgreSQL primary SIGKILLed, standby promoted, during intake', function () {
  this.timeout(900_000);
  let pair: PostgresPair | undefined;
  let proxy: TcpProxy | undefined;
  let replication: TcpProxy | undefined;
  let scenario: Scenario | undefined;

  afterEach(async () => {
    await scenario?.close().catch(() => undefined);
    scenario = undefined;
    await proxy?.close();
    proxy = undefined;
    await replication?.close();
    replication = undefined;
    await pair?.stop();
    pair = undefined;
  });

  for (const synchronous of [true, false]) {
    const mode = synchronous ? 'synchronous' : 'asynchronous';
    it(`${mode} standby: ${synchronous ? 'every 200 delivered' : 'reports what acknowledged commits it loses'}, only 200/503, recovers without a restart`, async () => {
      const basePort = 26_400 + Math.floor(Math.random() * 100) * 2;
      // The standby streams through a proxy of its own, so that the asynchronous run can make it
      // lag by holding the WAL back — on loopback it would otherwise be less than a millisecond
      // behind, and the loss this run exists to show would almost never happen.
      replication = await TcpProxy.start('127.0.0.1', basePort);
      pair = await PostgresPair.start(basePort, synchronous, replication.port);
      proxy = await TcpProxy.start('127.0.0.1', pair.primary.port);
      const viaProxy = `postgres://postgres@127.0.0.1:${proxy.port}/postgres`;
      // The scenario's own connections (counting rows) also go through the proxy, so they follow
      // the failover as the gateway's do.
      scenario = await Scenario.create(`s8${synchronous ? 's' : 'a'}`, { postgresServerUrl: viaProxy });
      const { baseUrl, process: serve } = await scenario.startServe();
      const relay = scenario.startRelay();
      await relay.waitForLog((l) => l.msg === 'connected to RabbitMQ, topology declared', 60_000);

      const loading = scenario.load({
        entities: 100,
        perEntity: 50,
        baseUrls: [baseUrl],
        rate: 200,
        clientTimeoutMs: 10_000,
      });
      await sleep(8_000);
      if (!synchronous) {
        progress('replication held back for 2 s before the crash');
        replication.hold();
        await sleep(2_000);
      }
      const outage = { from: performance.now(), to: 0 };
      await pair.killPrimary();
      proxy.cut();
      await pair.promoteStandby();
      proxy.retarget('127.0.0.1', pair.standby.port);
      proxy.restore();
      outage.to = performance.now();
      progress(`failover done in ${((outage.to - outage.from) / 1000).toFixed(1)} s`);
      await loading;

      const tries = scenario.ledger.attemptStatuses();
      const sent = scenario.ledger.sent;
      // What clients saw: from the first try refused or unanswered to the last one.
      const refused = sent
        .flatMap((s) => ((s.attempts ?? []).some((a) => a !== 200) ? [s] : []))
        .map((s) => s.sentAt);
      const clientOutage = refused.length === 0 ? 0 : (Math.max(...refused) - Math.min(...refused)) / 1000;
      const counts = await scenario.settle(60_000);
      // The relay may have published a row from the old primary before it died, so the consumer
      // has it; what a lagging standby loses shows in the outbox: rows answered 200 that the new
      // primary does not have (the audit trail, and the requestId's 412, are gone with them).
      const { rows } = await sql<{ request_id: string }>`select request_id from outbox`.execute(
        scenario.database.db,
      );
      const stored = new Set(rows.map((r) => r.request_id));
      const missing = [...scenario.ledger.acceptedIds].filter((id) => !stored.has(id)).length;
      report(
        8,
        counts,
        `${mode} standby: tries ${JSON.stringify(tries)}, accepted on retry (412) ${scenario.ledger.acceptedOnRetry}, ` +
          `failover ${((outage.to - outage.from) / 1000).toFixed(1)} s, clients saw refusals for ${clientOutage.toFixed(1)} s, ` +
          `accepted rows missing from the new primary ${missing}`,
        { allowLoss: !synchronous },
      );
      if (synchronous) expect(missing, 'accepted rows missing from the new primary').to.equal(0);
      expect(Object.keys(tries), 'answers: only 200, 503, and 412 to a retry').to.satisfy((keys: string[]) =>
        keys.every((k) => k === '200' || k === '503' || k === '412'),
      );
      expect(
        sent.filter((s) => (s.attempts ?? [])[0] === 412),
        '412 to a first try',
      ).to.deep.equal([]);
      expect(
        serve.logLines.filter((l) => l.msg === 'request failed'),
        '500s',
      ).to.deep.equal([]);
      const late = sent.filter((s) => s.sentAt > outage.to + 5_000);
      expect(late.length, 'requests sent 5 s after the failover').to.be.greaterThan(100);
      expect(
        late.filter((s) => (s.attempts ?? [])[0] !== 200).length,
        'requests refused 5 s after the failover (no restart)',
      ).to.equal(0);
    });
  }
});
