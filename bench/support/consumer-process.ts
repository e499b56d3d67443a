/**
 * A consumer in a process of its own, so that the receipt times it records do not wait for the
 * load generator's event loop: consumes `queue` (prefetch 1000, acks each message) and appends one
 * line per message to `file`: receipt time (ms since the epoch), messageId, correlationId.
 * Prints "consuming" once the consumer is registered; ends on SIGTERM.
 * Usage: tsx bench/support/consumer-process.ts <queue> <file>
 */
import { createWriteStream } from 'node:fs';
import { connect } from 'amqplib';
import { TEST_AMQP_URL } from '../../test/support/rabbitmq';

async function main(): Promise<void> {
  const [queue, file] = process.argv.slice(2);
  if (queue === undefined || file === undefined) throw new Error('usage: consumer-process <queue> <file>');
  const out = createWriteStream(file, { flags: 'a' });
  const connection = await connect(TEST_AMQP_URL, { noDelay: true });
  const channel = await connection.createChannel();
  await channel.prefetch(1000);
  await channel.consume(queue, (message) => {
    if (message === null) return;
    const at = performance.timeOrigin + performance.now();
    out.write(
      `${at}\t${String(message.properties.messageId)}\t${String(message.properties.correlationId)}\n`,
    );
    channel.ack(message);
  });
  process.stdout.write('consuming\n');
  process.once('SIGTERM', () => {
    void connection
      .close()
      .catch(() => undefined)
      .finally(() => out.end(() => process.exit(0)));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`consumer failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
