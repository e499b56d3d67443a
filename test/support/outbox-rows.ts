import { type Kysely, sql } from 'kysely';
import { AcceptNotification } from '../../src/application/accept-notification';
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
