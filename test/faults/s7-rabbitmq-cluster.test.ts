import { expect } from 'chai';
import { sql } from 'kysely';
import { progress, report, Scenario, sleep, until } from './support/fault-harness';
import { type RabbitCluster as Cluster, RabbitCluster, type RabbitNode } from '../support/private-engines';

/**
 * A three-node RabbitMQ cluster of the suite's own, the scenario's quorum queue replicated on all
 * three, AMQP_URL listing every node. During a 20 000-message drain with intake running, one node
 * is SIGKILLed: the one the relay is connected to, or the queue's leader. Every accepted message
 * must reach the consumer, in order per entity, duplicates with their messageId.
 */
describe('scenario 7: a node of a three-node RabbitMQ cluster SIGKILLed during a drain', function () {
  this.timeout(900_000);
  let cluster: Cluster | undefined;
  let scenario: Scenario | undefined;

  before(async function () {
    this.timeout(600_000);
    cluster = await RabbitCluster.start(3, 25_700 + Math.floor(Math.random() * 50) * 4);
  });

  afterEach(async () => {
    await scenario?.close();
    scenario = undefined;
  });

  after(async () => {
    await cluster?.stop();
  });

  // [what is killed, whether the queue is led from the relay's node, which node that is]
  const victims: Array<
    [string, boolean, (c: Cluster, s: Scenario, relayPid: number) => Promise<RabbitNode>]
  > = [
    [
      'the node the relay is connected to',
      false,
      async (c, _s, relayPid) => {
        const node = await c.nodeOfConnection(`relay pid ${relayPid}`);
        if (node === undefined) throw new Error('the relay is connected to no node');
        return node;
      },
    ],
    [
      'the leader of the quorum queue',
      false,
      async (c, s) => c.leaderOf(s.queue, c.nodes.find((n) => n.pid !== 0) as RabbitNode),
    ],
    // The relay reconnects while the queue elects a new leader: RabbitMQ 3.10 then nacked every
    // publish on the new channel, for minutes, until the relay learnt to reconnect after nacks.
    [
      'the relay’s node, which also leads the queue',
      true,
      async (c, s) => c.leaderOf(s.queue, c.nodes.find((n) => n.pid !== 0) as RabbitNode),
    ],
  ];

  for (const [label, ledByRelaysNode, pick] of victims) {
    it(`(${label}) loses nothing, keeps entity order, duplicates keep their messageId`, async () => {
      if (cluster === undefined) throw new Error('no cluster');
      // Every run starts with all three nodes up (the previous run's victim is restarted).
      for (const node of cluster.nodes) {
        if (
          !(await cluster.ctl(node, 'status').then(
            () => true,
            () => false,
          ))
        )
          await cluster.startNode(node);
      }
      // The relay tries the nodes from the first. The queue is declared (so led) through the
      // first node too, or through the last, so that the relay's node and the leader differ.
      scenario = await Scenario.create('s7', {
        amqpUrls: ledByRelaysNode ? cluster.urls : [...cluster.urls].reverse(),
      });
      const { baseUrl } = await scenario.startServe();
      const relay = scenario.startRelay({ AMQP_URL: cluster.urls.join(',') });
      await relay.waitForLog((l) => l.msg === 'connected to RabbitMQ, topology declared', 60_000);

      const loading = scenario.load({ entities: 500, perEntity: 40, baseUrls: [baseUrl], rate: 500 });
      await until(async () => (await scenario!.outboxCounts()).delivered > 3_000, 120_000, '3 000 delivered');
      const victim = await pick(cluster, scenario, relay.child.pid as number);
      const relayNode = await cluster.nodeOfConnection(`relay pid ${relay.child.pid}`);
      progress(`relay connected to ${relayNode?.name}; killing ${victim.name} (${label})`);
      const killedAt = Date.now();
      const logsBefore = relay.logLines.length;
      await cluster.kill(victim);
      victim.pid = 0;

      await loading;
      const counts = await scenario.settle();
      progress(`outbox: ${JSON.stringify(await scenario.outboxCounts())}`);
      for (const node of cluster.nodes.filter((n) => n.pid !== 0)) {
        const { stdout } = await cluster
          .ctl(node, 'list_queues', 'name', 'messages', 'leader', 'members', 'online', '--formatter', 'json')
          .catch((e: Error) => ({ stdout: e.message }));
        progress(`queues seen by ${node.name}: ${stdout.slice(0, 600)}`);
        break;
      }
      const afterKill = relay.logLines.slice(logsBefore);
      for (const l of afterKill.filter((l) => /RabbitMQ/.test(String(l.msg))).slice(0, 6)) {
        progress(`relay: ${String(l.time)} ${String(l.msg)} ${l.node === undefined ? '' : String(l.node)}`);
      }
      const reconnected = afterKill.find((l) => l.msg === 'connected to RabbitMQ, topology declared');
      const { rows } = await sql<{ first: Date | null }>`
        select min(delivered_at) as first from outbox_delivery where delivered_at > to_timestamp(${killedAt / 1000})`.execute(
        scenario.database.db,
      );
      const firstAfter = rows[0]?.first?.getTime();
      const reconnectedAt = reconnected === undefined ? undefined : Date.parse(String(reconnected.time));
      report(
        7,
        counts,
        `killed ${label} (${victim.name}; relay was on ${relayNode?.name ?? '?'}): ` +
          `relay ${reconnected === undefined ? 'kept its connection' : `reconnected to ${String(reconnected.node)} after ${reconnectedAt === undefined ? '?' : reconnectedAt - killedAt} ms`}, ` +
          `first publish confirmed after the kill ${firstAfter === undefined ? '?' : firstAfter - killedAt} ms later`,
      );
      expect(counts.accepted, 'all 20 000 accepted').to.equal(20_000);
      await sleep(100);
    });
  }
});
