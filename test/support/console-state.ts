import { sql } from 'kysely';
import type { TestDatabase } from './postgres';

export interface LoggedAction {
  readonly action: string;
  readonly actor: string;
  readonly reason: string;
  readonly messageId: string | null;
}

/** The action log as the database holds it, oldest first. */
export async function loggedActions(database: TestDatabase): Promise<LoggedAction[]> {
  const { rows } = await sql<LoggedAction>`
    select action, actor, reason, message_id as "messageId" from operator_action order by id`.execute(
    database.db,
  );
  return rows;
}

/** What an operator action would change about one message. */
export async function deliveryState(
  database: TestDatabase,
  messageId: string,
): Promise<Record<string, unknown>> {
  const { rows } = await sql<Record<string, unknown>>`
    select a.status, a.attempts, a.last_error, p.next_attempt_at, a.payload is not null as has_payload
      from outbox_audit a
      left join outbox_pending p on p.seq = a.seq
     where a.message_id = ${messageId}::uuid`.execute(database.db);
  if (rows.length !== 1) throw new Error(`no message ${messageId}`);
  return rows[0]!;
}
