import { type RawBuilder, sql } from 'kysely';

/**
 * One page of an entity's messages in acceptance order (seq ascending), one more than `limit`:
 * the auditors' index outbox_ekstern_identifier finds them (an entity has a handful).
 */
export function entitySeqs(
  eksternIdentifier: string,
  after: string | undefined,
  limit: number,
): RawBuilder<{ seq: string }> {
  const keyset = after === undefined ? sql`` : sql`and seq > ${after}::bigint`;
  return sql<{ seq: string }>`
    select seq from outbox
     where ekstern_identifier = ${eksternIdentifier.toLowerCase()}::uuid ${keyset}
     order by seq
     limit ${limit + 1}`;
}

/**
 * Each given entity's oldest undelivered row (its head), from outbox_pending_by_entity: the row
 * the relay sends first, that every later row of the entity waits for.
 */
export function entityHeads(
  eksternIdentifiers: readonly string[],
): RawBuilder<{ ekstern_identifier: string; seq: string }> {
  return sql<{ ekstern_identifier: string; seq: string }>`
    select h.ekstern_identifier::text as ekstern_identifier, h.seq
      from unnest(${[...eksternIdentifiers]}::uuid[]) e(id)
      cross join lateral (
        select p.ekstern_identifier, p.seq from outbox_pending p
         where p.ekstern_identifier = e.id
         order by p.seq limit 1) h`;
}

/**
 * The last replay or park (not a dry run) that touched each given message: a parked message's
 * park, when that is the last, tells who parked it and why. Through the action log's link table.
 */
export function lastParkOrReplay(
  messageIds: readonly string[],
): RawBuilder<{ message_id: string; id: string; action: string }> {
  return sql<{ message_id: string; id: string; action: string }>`
    select m.id::text as message_id, last.id, last.action
      from unnest(${[...messageIds]}::uuid[]) m(id)
      cross join lateral (
        select a.id, a.action from operator_action_target l
          join operator_action a on a.id = l.action_id
         where l.message_id = m.id and a.action in ('park', 'replay') and not a.dry_run
         order by l.action_id desc limit 1) last`;
}
