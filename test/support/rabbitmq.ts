import { randomBytes } from 'node:crypto';
import { type Channel, type ChannelModel, connect, type ConsumeMessage } from 'amqplib';
import { declareTopology } from '../../src/adapters/rabbitmq/topology';

export const TEST_AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function uniqueName(prefix: string): string {
  return `${prefix}.${Date.now().toString(36)}.${randomBytes(4).toString('hex')}`;
}

/** A consumer on one queue that keeps every message it receives, in order of receipt. */
export class TestConsumer {
  readonly messages: ConsumeMessage[] = [];
  readonly receivedAt: number[] = [];
  private onMessage: (() => void) | undefined;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
  ) {}

  static async start(queue: string, url = TEST_AMQP_URL): Promise<TestConsumer> {
    const connection = await connect(url);
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.prefetch(1000);
    const consumer = new TestConsumer(connection, channel);
    await channel.consume(
      queue,
      (message) => {
        if (message === null) return;
        consumer.messages.push(message);
        consumer.receivedAt.push(performance.now());
        channel.ack(message);
        consumer.onMessage?.();
      },
      { noAck: false },
    );
    return consumer;
  }

  async waitFor(count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} messages, received ${this.messages.length}`);
      }
      await new Promise<void>((resolve) => {
        this.onMessage = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

/** A short-lived channel for declaring and deleting test topology. */
export async function withChannel<T>(
  work: (channel: Channel) => Promise<T>,
  url = TEST_AMQP_URL,
): Promise<T> {
  const connection = await connect(url);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    return await work(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Declares the topic exchange `exchange` and the quorum queue `queue` bound to it with
 * `bindingKey`, as the relay declares its own, and empties the queue. For a queue nothing publishes
 * to yet: a message routed between the binding and the purge is purged.
 */
export async function freshQueue(
  exchange: string,
  queue: string,
  bindingKey = '#',
  url = TEST_AMQP_URL,
): Promise<void> {
  await withChannel(async (channel) => {
    await declareTopology(channel, exchange, [{ name: queue, bindingKey, type: 'quorum' }]);
    await channel.purgeQueue(queue);
  }, url);
}

export async function deleteTopology(
  exchange: string,
  queues: readonly string[],
  url = TEST_AMQP_URL,
): Promise<void> {
  await withChannel(async (channel) => {
    for (const q of queues) await channel.deleteQueue(q);
    await channel.deleteExchange(exchange);
  }, url).catch(() => undefined);
}
