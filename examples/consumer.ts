/**
 * Example: how a case system (KSS) consumes webservicebesked messages from RabbitMQ.
 *
 *   AMQP_URL=amqp://guest:guest@127.0.0.1:5672 WSB_QUEUE=virksomhedsordning.webservicebesked.kss npx tsx examples/consumer.ts
 *
 * The gateway delivers at least once: after a broker or relay failure a message can arrive again,
 * always with the same `messageId`. So a consumer
 *   1. acknowledges manually, and only after it has durably handled the message;
 *   2. remembers which messageIds it has handled — in a real system in its own database, in the
 *      same transaction as the effect (here a Set, which is only good for a demonstration) — and
 *      acknowledges a repeated messageId without handling it again;
 *   3. uses prefetch 1 on one consumer if it relies on the order per `eksternIdentifier`
 *      (created → edited → GDPR-deleted): the gateway publishes in that order, and several
 *      unacknowledged messages in flight could be handled out of it.
 * A message it cannot parse is rejected without requeue, so it goes to the queue's dead-letter
 * exchange (if one is configured) instead of looping; any other failure is requeued after a pause. *
 * The messages (routing keys, headers, properties, payload schemas) are described by the AsyncAPI 3
 * document docs/asyncapi.json, also served by the gateway at GET /asyncapi.json: generate a client or
 * a validator from it. Each message's `traceparent` header continues VITAS's trace (W3C Trace Context).
 */
import { connect, type ConsumeMessage } from 'amqplib';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const QUEUE = process.env.WSB_QUEUE ?? 'virksomhedsordning.webservicebesked.kss';

/** Stand-in for the case system's own table of handled messageIds. */
const handled = new Set<string>();

async function handle(message: ConsumeMessage): Promise<void> {
  const body = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
  const headers = message.properties.headers ?? {};
  // What the case system does with it is its own business; the payload holds CPR numbers, so log
  // identifiers, never the body.
  console.log(
    `${String(message.properties.type)} ${String(headers.aendringstype)} for ${String(headers['ekstern-identifier'])}` +
      ` (jobcenter ${String(headers['jobcenter-kode'])}, ${Object.keys(body).join(', ')})`,
  );
}

async function main(): Promise<void> {
  const connection = await connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.checkQueue(QUEUE); // the gateway's relay or the operator declares it
  await channel.prefetch(1);

  await channel.consume(
    QUEUE,
    (message) => {
      if (message === null) return; // the broker cancelled the consumer
      void (async () => {
        const messageId = message.properties.messageId as string | undefined;
        if (messageId === undefined) {
          channel.reject(message, false);
          return;
        }
        if (handled.has(messageId)) {
          channel.ack(message); // a redelivery of something already handled
          return;
        }
        try {
          await handle(message);
        } catch (error) {
          console.error(`message ${messageId} could not be handled: ${(error as Error).message}`);
          if (error instanceof SyntaxError) {
            channel.reject(message, false); // not JSON: it will never succeed
          } else {
            // Probably transient (our database is down): try again later, in order.
            await new Promise((resolve) => setTimeout(resolve, 5000));
            channel.nack(message, false, true);
          }
          return;
        }
        handled.add(messageId);
        channel.ack(message);
      })();
    },
    { noAck: false },
  );

  const stop = async (): Promise<void> => {
    await channel.close();
    await connection.close();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  console.log(`consuming ${QUEUE}; Ctrl-C stops`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
