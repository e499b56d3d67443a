import { type RawBuilder, sql } from 'kysely';
import type { ActionSearch, OperatorActionKind } from '../../../application/operations/ports';

export interface ActionRow {
  id: string;
  action: OperatorActionKind;
  message_id: string | null;
  request_id: string | null;
  actor: string;
  reason: string;
  at: Date;
  dry_run: boolean;
  details: Record<string, unknown>;
  message_ids: string[];
}

/** An action with every message it touched (operator_action_target, by its primary key). */
const ACTION_COLUMNS = sql`
  a.id, a.action, a.message_id, a.request_id, a.actor, a.reason, a.at, a.dry_run, a.details,
  array(select l.message_id::text from operator_action_target l where l.action_id = a.id
         order by l.message_id) as message_ids`;

/**
 * One page of the action log, newest first by id, one more than `limit`. A message's actions come
 * from the link table's (message_id, action_id) index; the others walk the primary key backwards,
 * or operator_action_actor / operator_action_at when those narrow it more.
 */
export function searchActions(search: ActionSearch, limit: number): RawBuilder<ActionRow> {
  const conditions: RawBuilder<unknown>[] = [];
  if (search.messageId !== undefined) {
    conditions.push(sql`a.id in (select action_id from operator_action_target
                                   where message_id = ${search.messageId.toLowerCase()}::uuid)`);
  }
  if (search.actor !== undefined) conditions.push(sql`a.actor = ${search.actor}`);
  if (search.action !== undefined) conditions.push(sql`a.action = ${search.action}`);
  if (search.since !== undefined) conditions.push(sql`a.at >= ${search.since}`);
  if (search.after !== undefined) conditions.push(sql`a.id < ${search.after}::bigint`);
  const where = conditions.length === 0 ? sql`true` : sql.join(conditions, sql` and `);
  return sql<ActionRow>`
    select ${ACTION_COLUMNS} from operator_action a
     where ${where}
     order by a.id desc
     limit ${limit + 1}`;
}

export function actionsById(ids: readonly string[]): RawBuilder<ActionRow> {
  return sql<ActionRow>`
    select ${ACTION_COLUMNS} from operator_action a where a.id = any(${[...ids]}::bigint[])`;
}
