import { expect } from 'chai';
import { report, scenarios, until } from './support/fault-harness';

describe('scenario 4: two gateways and three relays at once', function () {
  const createScenario = scenarios(this);

  it('20 000 messages over 200 entities, each entity alternating between the gateways, arrive in order', async () => {
    const scenario = await createScenario('s4');
    const gateways = [await scenario.startServe(), await scenario.startServe()];
    const relays = [scenario.startRelay(), scenario.startRelay(), scenario.startRelay()];
    for (const relay of relays) {
      await relay.waitForLog((l) => l.msg === 'connected to RabbitMQ, topology declared', 60_000);
    }
    // Request k of an entity goes to gateway k % 2, after request k - 1 was answered.
    await scenario.load({ entities: 200, perEntity: 100, baseUrls: gateways.map((g) => g.baseUrl) });
    expect(scenario.ledger.acceptedIds.size).to.equal(20_000);
    await until(async () => (await scenario.outboxCounts()).pending === 0, 180_000, 'the drain to finish');
    const counts = await scenario.settle();
    report(4, counts);
  });
});
