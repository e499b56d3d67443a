import { type Kysely, sql } from 'kysely';
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

/** What the relay does after a broker confirm. */
export async function deliver(
  db: Kysely<Database>,
  messageId: string,
  deliveredAt = new Date(),
): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'delivered', delivered_at: deliveredAt })
    .where('message_id', '=', messageId)
    .execute();
}

export async function payloadOf(db: Kysely<Database>, messageId: string): Promise<unknown> {
  const row = await db
    .selectFrom('outbox')
    .select(['payload', 'redacted_at'])
    .where('message_id', '=', messageId)
    .executeTakeFirstOrThrow();
  return row.payload;
}

export async function truncateOutbox(db: Kysely<Database>): Promise<void> {
  await sql`truncate outbox, operator_action`.execute(db);
}

/**
 * Inserts `count` pending rows straight into the outbox, entity i % entities for the i-th row,
 * with a payload of about `payloadBytes`. Seq order is i order, so per-entity order is known.
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
       order by i`.execute(db);
  }
}

/** Entity number and row number from a bulk row's body. */
export function bulkBody(content: Buffer): { n: number; entity: number } {
  const parsed = JSON.parse(content.toString('utf8')) as {
    ordningsnotifikation: { n: number; entity: number };
  };
  return parsed.ordningsnotifikation;
}
