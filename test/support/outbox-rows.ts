import { type Kysely, sql, type UpdateObject } from 'kysely';
import { AcceptNotification } from '../../src/application/intake/accept-notification';
import { KyselyUnitOfWork } from '../../src/adapters/postgres/kysely-unit-of-work';
import type { Database } from '../../src/adapters/postgres/database';
import { randomIds, systemClock } from '../../src/adapters/system/system-clock';
import { UNCHECKED_CODE_LISTS } from '../../src/domain/code-lists';
import type { MessageKind } from '../../src/domain/notification';
import { parseRequestId } from '../../src/domain/request-id';
import type { RequestId } from '../../src/domain/request-id';

let counter = 0;

/** Accepts a notification through the real use case (as intake would) and returns its message id. */
export async function accept(db: Kysely<Database>, kind: MessageKind, body: unknown): Promise<string> {
  const useCase = new AcceptNotification(
    UNCHECKED_CODE_LISTS,
    new KyselyUnitOfWork(db),
    systemClock,
    randomIds,
    {
      exchange: 'virksomhedsordning.webservicebesked',
    },
  );
  const requestId = parseRequestId(`t-${Date.now().toString(36)}-${++counter}`) as RequestId;
  const result = await useCase.execute({ kind, requestId, body, clientId: 'test-client' });
  if (result._tag !== 'Accepted') throw new Error(`fixture not accepted: ${JSON.stringify(result)}`);
  return result.messageId;
}

/**
 * What the relay does after a broker confirm (migration 0005): the message leaves outbox_pending
 * and its outbox_delivery row records when, after how many attempts and with which last error, and
 * whether the payload is still held. Throws unless the message was undelivered.
 */
export async function deliver(
  db: Kysely<Database>,
  messageId: string,
  deliveredAt = new Date(),
): Promise<void> {
  const { rows } = await sql<{ seq: string }>`
    with gone as (
      delete from outbox_pending p
       using outbox o
       where o.seq = p.seq and o.message_id = ${messageId}::uuid
      returning p.seq, p.attempts, p.last_error)
    insert into outbox_delivery (seq, delivered_at, attempts, last_error, payload_held)
    select g.seq, ${deliveredAt}::timestamptz, g.attempts, g.last_error, o.payload is not null
      from gone g
      join outbox o on o.seq = g.seq
    returning seq`.execute(db);
  if (rows.length !== 1) throw new Error(`no undelivered outbox row ${messageId}`);
}

/**
 * Sets delivery state on the outbox_pending row of an undelivered message, as the relay or an
 * operator would (parked, attempts, last_error, next_attempt_at). Throws unless the message is
 * undelivered.
 */
export async function updatePending(
  db: Kysely<Database>,
  messageId: string,
  values: UpdateObject<Database, 'outbox_pending'>,
): Promise<void> {
  const result = await db
    .updateTable('outbox_pending')
    .set(values)
    .where('seq', '=', (eb) => eb.selectFrom('outbox').select('seq').where('message_id', '=', messageId))
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) throw new Error(`no undelivered outbox row ${messageId}`);
}

/**
 * Makes a message look received `interval` ago (a PostgreSQL interval, e.g. '2 hours'): its outbox
 * row, and its outbox_pending row if it is undelivered, which carries received_at for the
 * backlog's age.
 */
export async function receivedAgo(db: Kysely<Database>, messageId: string, interval: string): Promise<void> {
  await sql`
    with moved as (
      update outbox set received_at = now() - ${interval}::interval
       where message_id = ${messageId}::uuid
      returning seq, received_at)
    update outbox_pending p set received_at = m.received_at from moved m where p.seq = m.seq`.execute(db);
}

export async function payloadOf(db: Kysely<Database>, messageId: string): Promise<unknown> {
  const row = await db
    .selectFrom('outbox')
    .select(['payload', 'redacted_at'])
    .where('message_id', '=', messageId)
    .executeTakeFirstOrThrow();
  return row.payload;
}

/**
 * Throws unless every outbox row is queued for the relay exactly once, as intake leaves it before
 * any relay ran: an outbox_pending row (pending, never attempted) with its entity and received_at,
 * and nothing in outbox_pending or outbox_delivery for a message that is not in outbox.
 */
export async function expectEveryRowQueuedOnce(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ outbox_seq: string | null; stray_seq: string | null }>`
    select o.seq as outbox_seq, p.seq as stray_seq
      from outbox o
      full join outbox_pending p on p.seq = o.seq
     where o.seq is null or p.seq is null or p.parked or p.attempts <> 0 or p.last_error is not null
        or p.ekstern_identifier <> o.ekstern_identifier or p.received_at <> o.received_at
    union all
    select null, d.seq from outbox_delivery d`.execute(db);
  if (rows.length > 0) {
    throw new Error(`outbox rows not queued once in outbox_pending, or strays: ${JSON.stringify(rows)}`);
  }
}

export async function truncateOutbox(db: Kysely<Database>): Promise<void> {
  await sql`truncate outbox, outbox_pending, outbox_delivery, operator_action, operator_action_target`.execute(
    db,
  );
}

/**
 * Inserts `count` pending rows straight into the outbox, each with its outbox_pending row (as
 * intake writes them), entity i % entities for the i-th row, with a payload of about
 * `payloadBytes`. Seq order is i order, so per-entity order is known.
 */
export async function insertPendingRows(
  db: Kysely<Database>,
  options: { count: number; entities: number; exchange: string; payloadBytes?: number; prefix?: string },
): Promise<void> {
  const filler = 'x'.repeat(Math.max(0, (options.payloadBytes ?? 200) - 150));
  const prefix = options.prefix ?? 'bulk';
  const chunk = 50_000;
  for (let start = 0; start < options.count; start += chunk) {
    const end = Math.min(options.count, start + chunk) - 1;
    await sql`
      with appended as (
        insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode,
                            registrerings_dato, aendringstype, client_id, received_at, exchange,
                            routing_key, payload)
        select gen_random_uuid(), ${prefix} || '-' || i, 'Ordningsnotifikation',
               ('00000000-0000-4000-8000-' || lpad((i % ${options.entities})::text, 12, '0'))::uuid,
               '10101', now(), 'Opdatering', 'bulk-client', now(), ${options.exchange},
               'ordningsnotifikation.10101',
               jsonb_build_object('ordningsnotifikation', jsonb_build_object(
                 'n', i, 'entity', i % ${options.entities}, 'filler', ${filler}::text))
          from generate_series(${start}::int, ${end}::int) as i
         order by i
        returning seq, ekstern_identifier, received_at)
      insert into outbox_pending (seq, ekstern_identifier, received_at)
      select seq, ekstern_identifier, received_at from appended`.execute(db);
  }
}

/** Entity number and row number from a bulk row's body. */
export function bulkBody(content: Buffer): { n: number; entity: number } {
  const parsed = JSON.parse(content.toString('utf8')) as {
    ordningsnotifikation: { n: number; entity: number };
  };
  return parsed.ordningsnotifikation;
}
