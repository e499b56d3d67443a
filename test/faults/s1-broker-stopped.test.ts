import { expect } from 'chai';
import { privateBroker } from '../support/private-engines';
import { report, scenarios, sleep } from './support/fault-harness';

/** The broker stopped is one of the scenario's own: the machine's RabbitMQ is never touched. */
describe('scenario 1: RabbitMQ stopped for ~20 s while 5 000 requests are posted', function () {
  const createScenario = scenarios(this);
  const broker = privateBroker();

  it('intake keeps answering 200 without the broker; the relay delivers everything once it is back', async () => {
    const scenario = await createScenario('s1', { amqpUrls: broker().urls });
    const { baseUrl } = await scenario.startServe();
    const relay = scenario.startRelay();
    await relay.waitForLog((l) => l.msg === 'connected to RabbitMQ, topology declared', 60_000);

    // ~170 requests/s for ~30 s: the outage sits in the middle of the load.
    const loading = scenario.load({ entities: 100, perEntity: 50, baseUrls: [baseUrl], rate: 170 });
    await sleep(4_000);
    let outage = { from: 0, to: 0 };
    await broker().withAppStopped(async () => {
      outage = { from: performance.now(), to: 0 };
      await sleep(20_000);
      outage.to = performance.now();
    });
    await loading;

    const answeredDuringOutage = scenario.ledger.sent.filter(
      (s) => s.outcome === 200 && s.sentAt >= outage.from && (s.answeredAt ?? Infinity) <= outage.to,
    ).length;
    const counts = await scenario.settle();
    report(1, counts, `answered 200 while the broker was down: ${answeredDuringOutage}`);
    expect(counts.accepted, 'every request answered 200').to.equal(counts.sent);
    expect(answeredDuringOutage, 'requests accepted during the outage').to.be.greaterThan(1000);
    expect((await scenario.outboxCounts()).pending).to.equal(0);
  });
});
