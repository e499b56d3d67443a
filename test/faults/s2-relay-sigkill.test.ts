import { expect } from 'chai';
import { progress, report, scenarios, until } from './support/fault-harness';

describe('scenario 2: the relay killed with SIGKILL three times during a 20 000-message drain', function () {
  const createScenario = scenarios(this);

  it('a restarted relay delivers everything, per entity in order; duplicates keep their messageId', async () => {
    const scenario = await createScenario('s2');
    const { baseUrl } = await scenario.startServe();
    await scenario.load({ entities: 500, perEntity: 40, baseUrls: [baseUrl] });
    expect(scenario.ledger.acceptedIds.size).to.equal(20_000);

    const kills: number[] = [];
    for (const threshold of [3_000, 8_000, 13_000]) {
      const relay = scenario.startRelay();
      await until(
        async () => (await scenario.outboxCounts()).delivered >= threshold,
        120_000,
        `${threshold} delivered`,
      );
      await relay.stop('SIGKILL');
      const { delivered } = await scenario.outboxCounts();
      kills.push(delivered);
      progress(`relay killed with SIGKILL at ${delivered} delivered`);
    }
    expect(kills.at(-1), 'rows left after the third kill').to.be.lessThan(20_000);
    scenario.startRelay();
    await until(async () => (await scenario.outboxCounts()).pending === 0, 180_000, 'the drain to finish');
    const counts = await scenario.settle();
    report(2, counts, `killed at ${kills.join(', ')} delivered`);
  });
});
