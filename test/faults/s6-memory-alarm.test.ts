import { expect } from 'chai';
import { privateBroker } from '../support/private-engines';
import { progress, report, scenarios, sleep } from './support/fault-harness';

/** The broker blocked is one of the scenario's own: the machine's RabbitMQ is never touched. */
describe('scenario 6: a broker memory alarm (connection.blocked)', function () {
  const createScenario = scenarios(this);
  const broker = privateBroker();

  it('the relay pauses while blocked and resumes when unblocked; nothing is lost', async () => {
    const scenario = await createScenario('s6', { amqpUrls: broker().urls });
    const { baseUrl } = await scenario.startServe();
    const relay = scenario.startRelay({ RELAY_CONFIRM_TIMEOUT_MS: '3000' });
    await relay.waitForLog((l) => l.msg === 'connected to RabbitMQ, topology declared', 60_000);

    // ~250 requests/s for ~16 s; the alarm holds for ~8 s of it.
    const loading = scenario.load({ entities: 100, perEntity: 40, baseUrls: [baseUrl], rate: 250 });
    await sleep(3_000);
    let deliveredWhileBlocked: number[] = [];
    await broker().withMemoryAlarm(async () => {
      await relay.waitForLog(
        (l) => l.msg === 'RabbitMQ blocks publishers (connection.blocked): pausing the relay',
        20_000,
      );
      progress('relay reports connection.blocked');
      // Batches in flight at the block settle (confirm or timeout) within the confirm timeout.
      await sleep(3_500);
      const samples: number[] = [];
      for (let i = 0; i < 4; i++) {
        samples.push((await scenario.outboxCounts()).delivered);
        await sleep(1_000);
      }
      deliveredWhileBlocked = samples;
      progress(`delivered while blocked: ${samples.join(', ')}`);
    });
    await relay.waitForLog((l) => l.msg === 'RabbitMQ unblocked publishers', 30_000);
    progress('relay reports unblocked');
    await loading;
    const counts = await scenario.settle();
    report(6, counts, `delivered rows sampled while blocked: ${deliveredWhileBlocked.join(', ')}`);
    expect(new Set(deliveredWhileBlocked).size, 'the relay published nothing while blocked').to.equal(1);
    expect(counts.accepted).to.equal(counts.sent);
  });
});
