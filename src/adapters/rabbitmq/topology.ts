import type { Channel } from 'amqplib';

export interface QueueSpec {
  readonly name: string;
  readonly bindingKey: string;
  readonly type: 'quorum' | 'classic';
}

/**
 * Declares the exchange (topic, durable) and each queue (durable; quorum unless classic), bound to
 * the exchange with its binding key. Idempotent: the relay runs it at every (re)connect.
 */
export async function declareTopology(
  channel: Channel,
  exchange: string,
  queues: readonly QueueSpec[],
): Promise<void> {
  await channel.assertExchange(exchange, 'topic', { durable: true });
  for (const queue of queues) {
    await channel.assertQueue(queue.name, {
      durable: true,
      ...(queue.type === 'quorum' ? { arguments: { 'x-queue-type': 'quorum' } } : {}),
    });
    await channel.bindQueue(queue.name, exchange, queue.bindingKey);
  }
}
