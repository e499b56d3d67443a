import { connect } from 'amqplib';
import { sql } from 'kysely';
import { messageProperties } from '../../src/adapters/rabbitmq/message-properties';
import type { RelayMessage } from '../../src/application/relay/ports';
import { insertPendingRows } from '../../test/support/outbox-rows';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres';
import { TEST_AMQP_URL } from '../../test/support/rabbitmq';

/** Every row of the outbox as the relay would publish it, in seq order (for the raw publisher). */
export async function pendingMessages(database: TestDatabase): Promise<RelayMessage[]> {
  const { rows } = await sql<{
    seq: string;
    message_id: string;
    request_id: string;
    ekstern_identifier: string;
    received_at: Date;
    exchange: string;
    routing_key: string;
    body: string;
  }>`
    select seq, message_id, request_id, ekstern_identifier, received_at, exchange, routing_key,
           payload::text as body
      from outbox order by seq`.execute(database.db);
  return rows.map((r) => ({
    seq: r.seq,
    messageId: r.message_id,
    requestId: r.request_id,
    kind: 'Ordningsnotifikation',
    eksternIdentifier: r.ekstern_identifier,
    jobCenterKode: '10101',
    aendringstype: 'Opdatering',
    receivedAt: r.received_at,
    exchange: r.exchange,
    routingKey: r.routing_key,
    body: Buffer.from(r.body, 'utf8'),
    attempts: 0,
  }));
}

/**
 * A fresh database holding pending rows (insertPendingRows), vacuumed and analysed: the backlog a
 * broker outage leaves. Dropped again if filling it fails.
 */
export async function databaseWithBacklog(
  name: string,
  rows: Parameters<typeof insertPendingRows>[1],
): Promise<TestDatabase> {
  const database = await createTestDatabase(name);
  try {
    await insertPendingRows(database.db, rows);
    await sql`vacuum analyze outbox, outbox_pending`.execute(database.db);
    return database;
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/**
 * Raw amqplib: one confirm channel, a sliding window of `window` unconfirmed publishes. Returns
 * messages per second and this process's CPU per message (user + system, µs) from the first
 * publish to the last confirm: the hand-written publisher's cost, beside which the relay's is read.
 */
export async function rawPublish(
  exchange: string,
  messages: readonly RelayMessage[],
  window: number,
): Promise<{ messagesPerSecond: number; cpuMicrosPerMessage: number }> {
  const connection = await connect(TEST_AMQP_URL);
  const channel = await connection.createConfirmChannel();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let inFlight = 0;
  let next = 0;
  let confirmed = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (inFlight < window && next < messages.length) {
        const m = messages[next++]!;
        inFlight++;
        channel.publish(
          exchange,
          m.routingKey,
          m.body as Buffer,
          messageProperties(m, 'bench'),
          (error: unknown) => {
            if (error) return reject(error as Error);
            inFlight--;
            if (++confirmed === messages.length) resolve();
            else pump();
          },
        );
      }
    };
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await connection.close();
  return {
    messagesPerSecond: messages.length / seconds,
    cpuMicrosPerMessage: (cpu.user + cpu.system) / messages.length,
  };
}
