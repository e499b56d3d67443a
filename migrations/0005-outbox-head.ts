import { type Kysely, sql } from 'kysely';

/**
 * Each entity's oldest undelivered row, kept beside the outbox so that the relay's claim walks
 * one entry per entity with work, not every pending row (docs/relay.md, "Claiming"). An entry is
 * a hint: the claim still checks the row itself (pending, due, no older undelivered row of its
 * entity), so a stale entry can delay an entity, never reorder it; the relay repairs entries
 * periodically. `due` is the head's next_attempt_at, or 'infinity' when the head is parked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table outbox_head (
      ekstern_identifier uuid primary key,
      seq                bigint not null,
      due                timestamptz not null
    ) with (fillfactor = 70)`.execute(db);
  await sql`create index outbox_head_due on outbox_head (due, seq)`.execute(db);

  // Recomputes the entries of the given entities from the outbox, in a fresh snapshot per
  // statement, looking only at rows from the entity's lower bound on (every row of the entity
  // below it is known to be delivered: the walk then skips the index entries of delivered rows).
  // Entities are taken in uuid order so that two callers lock entries in one order.
  await sql`
    create function outbox_head_refresh(entities uuid[], lows bigint[]) returns void language sql as $$
      delete from outbox_head h
       using unnest(entities, lows) as s(e, low)
       where h.ekstern_identifier = s.e
         and not exists (select 1 from outbox o
                          where o.ekstern_identifier = s.e and o.seq >= s.low and o.status <> 'delivered');
      insert into outbox_head (ekstern_identifier, seq, due)
      select s.e, x.seq, case when x.status = 'pending' then x.next_attempt_at else 'infinity' end
        from (select e, min(low) as low from unnest(entities, lows) as u(e, low) group by e) s
        cross join lateral (
              select o.seq, o.status, o.next_attempt_at from outbox o
               where o.ekstern_identifier = s.e and o.seq >= s.low and o.status <> 'delivered'
               order by o.seq limit 1) x
       order by s.e
      on conflict (ekstern_identifier) do update set seq = excluded.seq, due = excluded.due
       where (outbox_head.seq, outbox_head.due) is distinct from (excluded.seq, excluded.due);
    $$`.execute(db);

  // Intake: a new entity gets an entry; an entity that has one keeps it (its head is older).
  // DO NOTHING takes no row lock, so intake never waits on another intake transaction here.
  await sql`
    create function outbox_head_after_insert() returns trigger language plpgsql as $$
    begin
      insert into outbox_head (ekstern_identifier, seq, due)
      select distinct on (ekstern_identifier) ekstern_identifier, seq,
             case when status = 'pending' then next_attempt_at else 'infinity' end
        from new_rows where status <> 'delivered'
       order by ekstern_identifier, seq
      on conflict (ekstern_identifier) do nothing;
      return null;
    end $$`.execute(db);
  // The relay's settle, operators' park and replay: entities whose rows changed status or
  // next attempt get their entry recomputed. (Redaction changes neither and costs one join.)
  // Lower bound per entity: any row that became undelivered here, else just past the last row
  // delivered here or the current head, whichever is later — the relay delivers a run of rows
  // starting at the head, so everything below that is delivered. (An entry that is wrong anyway,
  // e.g. after a transaction that committed late, is fixed by the relay's periodic repair.)
  await sql`
    create function outbox_head_after_update() returns trigger language plpgsql as $$
    declare
      changed uuid[];
      lows bigint[];
    begin
      select array_agg(c.e), array_agg(
               least(c.undelivered, greatest(coalesce(h.seq, 0), coalesce(c.delivered + 1, 0))))
        into changed, lows
        from (select n.ekstern_identifier as e,
                     min(n.seq) filter (where n.status <> 'delivered') as undelivered,
                     max(n.seq) filter (where n.status = 'delivered') as delivered
                from new_rows n join old_rows o on o.seq = n.seq
               where n.status is distinct from o.status or n.next_attempt_at is distinct from o.next_attempt_at
                  or n.ekstern_identifier is distinct from o.ekstern_identifier
               group by n.ekstern_identifier) c
        left join outbox_head h on h.ekstern_identifier = c.e;
      if changed is not null then
        perform outbox_head_refresh(changed, lows);
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create function outbox_head_after_delete() returns trigger language plpgsql as $$
    declare
      changed uuid[];
    begin
      select array_agg(distinct ekstern_identifier) into changed from old_rows;
      if changed is not null then
        perform outbox_head_refresh(changed, array_fill(0::bigint, array[cardinality(changed)]));
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger outbox_head_insert after insert on outbox
      referencing new table as new_rows for each statement execute function outbox_head_after_insert()`.execute(
    db,
  );
  await sql`
    create trigger outbox_head_update after update on outbox
      referencing old table as old_rows new table as new_rows
      for each statement execute function outbox_head_after_update()`.execute(db);
  await sql`
    create trigger outbox_head_delete after delete on outbox
      referencing old table as old_rows for each statement execute function outbox_head_after_delete()`.execute(
    db,
  );

  // Existing rows.
  await sql`
    insert into outbox_head (ekstern_identifier, seq, due)
    select distinct on (ekstern_identifier) ekstern_identifier, seq,
           case when status = 'pending' then next_attempt_at else 'infinity' end
      from outbox where status <> 'delivered'
     order by ekstern_identifier, seq`.execute(db);
  await sql`
    alter table outbox_head set (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists outbox_head_delete on outbox`.execute(db);
  await sql`drop trigger if exists outbox_head_update on outbox`.execute(db);
  await sql`drop trigger if exists outbox_head_insert on outbox`.execute(db);
  await sql`drop function if exists outbox_head_after_delete()`.execute(db);
  await sql`drop function if exists outbox_head_after_update()`.execute(db);
  await sql`drop function if exists outbox_head_after_insert()`.execute(db);
  await sql`drop function if exists outbox_head_refresh(uuid[], bigint[])`.execute(db);
  await sql`drop table if exists outbox_head`.execute(db);
}
