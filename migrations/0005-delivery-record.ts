import { type Kysely, sql } from 'kysely';

/**
 * Delivery state moves out of the wide outbox row into two narrow tables, so that the relay never
 * rewrites a 1 KB row and its eight index entries to mark it delivered (docs/relay.md, "Where a
 * message's state lives"):
 *  - outbox_pending: one small row per undelivered message (pending or parked), inserted with the
 *    outbox row in the intake's transaction and deleted in the commit that marks it delivered.
 *    The relay's claim reads only this table and its two indexes, plus the payload by seq.
 *  - outbox_delivery: one row per delivered message, inserted in that same commit: when, after how
 *    many attempts, the last error, and whether the payload is still held (the retention sweep's
 *    index).
 * The outbox row itself is written once, and once more when its payload is redacted.
 *
 * outbox_audit keeps its columns, their order and their meaning (CONTRACT §3). It is a UNION ALL
 * of the undelivered rows (outbox ⋈ outbox_pending) and the delivered ones (outbox rows with no
 * outbox_pending row), so every outbox row appears exactly once, and a filter on status reaches
 * only the arm that can match: `status <> 'delivered'` reads outbox_pending, not the history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // A gateway of the previous version still running would insert rows during the copy below (they
  // would have no outbox_pending row: shown delivered, never published) or mark rows delivered
  // between the two copies. Hold its writes until this transaction ends; reads go on.
  await sql`lock table outbox in exclusive mode`.execute(db);
  await sql`
    create table outbox_pending (
      seq                bigint primary key,
      ekstern_identifier uuid not null,
      received_at        timestamptz not null,
      parked             boolean not null default false,
      attempts           integer not null default 0,
      last_error         text,
      next_attempt_at    timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table outbox_delivery (
      seq          bigint primary key,
      -- Nullable only because the old schema allowed a delivered row without delivered_at (the
      -- relay always set it; a hand-made row might not): carried over as it was.
      delivered_at timestamptz default now(),
      attempts     integer not null default 0,
      last_error   text,
      payload_held boolean not null default true
    )`.execute(db);

  // Carry existing rows over, before the indexes are built (one sort each instead of a million
  // index insertions).
  await sql`
    insert into outbox_pending (seq, ekstern_identifier, received_at, parked, attempts, last_error, next_attempt_at)
    select seq, ekstern_identifier, received_at, status = 'parked', attempts, last_error, next_attempt_at
      from outbox where status <> 'delivered'`.execute(db);
  await sql`
    insert into outbox_delivery (seq, delivered_at, attempts, last_error, payload_held)
    select seq, delivered_at, attempts, last_error, payload is not null
      from outbox where status = 'delivered'`.execute(db);

  // The old indexes go first: outbox_pending_due keeps its name on its new table.
  await sql`drop view outbox_audit`.execute(db);
  await sql`drop index outbox_undelivered_by_entity`.execute(db);
  await sql`drop index outbox_pending_due`.execute(db);
  await sql`drop index outbox_redaction_due`.execute(db);

  // The relay's two ways to find an entity's head (kysely-relay-store.ts): the skip scan over every
  // undelivered row by entity, and the walk over the due ones, oldest first.
  await sql`create index outbox_pending_by_entity on outbox_pending (ekstern_identifier, seq)`.execute(db);
  await sql`create index outbox_pending_due on outbox_pending (next_attempt_at, seq) where not parked`.execute(
    db,
  );
  // Retention: delivered rows that still carry a payload, oldest delivery first.
  await sql`create index outbox_delivery_redaction_due on outbox_delivery (delivered_at) where payload_held`.execute(
    db,
  );

  await sql`
    alter table outbox drop column status, drop column attempts, drop column last_error,
                       drop column next_attempt_at, drop column delivered_at`.execute(db);
  await createAuditView(db);
  // The planner does not use a partial index's statistics for estimates, so it took a CPR number to
  // match 0.5 % of all rows (5 000 of a million) and, now that the view joins outbox_delivery,
  // hashed the whole of that table for the auditors' subject access query (45 ms instead of 0.2 ms
  // at a million rows). Statistics on the expression itself give the planner the real figure.
  await sql`
    create statistics outbox_cpr_statistics
      on ((payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer')) from outbox`.execute(db);
  await sql`analyze outbox, outbox_pending, outbox_delivery`.execute(db);

  // outbox_pending turns over completely with every drain: every delivered row leaves a dead
  // tuple in it and two dead index entries, which the claim's scans step over until a vacuum.
  // Vacuum it after a few thousand dead rows however small it is.
  await sql`
    alter table outbox_pending set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                                    autovacuum_analyze_scale_factor = 0.05, autovacuum_vacuum_cost_delay = 0)`.execute(
    db,
  );
}

/** The view as 0005 made it, with its grant: 0007's down migration restores it. */
export async function createAuditView(db: Kysely<unknown>): Promise<void> {
  await sql`
    create view outbox_audit as
    select o.message_id, o.request_id, o.message_type, o.ekstern_identifier, o.jobcenter_kode,
           o.registrerings_dato, o.aendringstype, o.client_id, o.client_cert_subject, o.received_at,
           case when p.parked then 'parked' else 'pending' end as status,
           p.attempts, p.last_error, null::timestamptz as delivered_at, o.exchange, o.routing_key,
           o.payload, o.redacted_at, o.seq, o.traceparent, o.tracestate
      from outbox o
      join outbox_pending p on p.seq = o.seq
    union all
    select o.message_id, o.request_id, o.message_type, o.ekstern_identifier, o.jobcenter_kode,
           o.registrerings_dato, o.aendringstype, o.client_id, o.client_cert_subject, o.received_at,
           'delivered', coalesce(d.attempts, 0), d.last_error, d.delivered_at, o.exchange, o.routing_key,
           o.payload, o.redacted_at, o.seq, o.traceparent, o.tracestate
      from outbox o
      left join outbox_delivery d on d.seq = o.seq
     where not exists (select 1 from outbox_pending p where p.seq = o.seq)`.execute(db);
  await grantAuditView(db);
}

/** The auditors' role is cluster-global (0003 creates it); grant only where it exists. */
export async function grantAuditView(db: Kysely<unknown>): Promise<void> {
  await sql`
    do $$ begin
      if exists (select 1 from pg_roles where rolname = 'wsb_auditor') then
        grant select on outbox_audit to wsb_auditor;
      end if;
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop statistics outbox_cpr_statistics`.execute(db);
  await sql`drop view outbox_audit`.execute(db);
  await sql`
    alter table outbox
      add column status text not null default 'delivered' check (status in ('pending', 'delivered', 'parked')),
      add column attempts integer not null default 0,
      add column last_error text,
      add column next_attempt_at timestamptz not null default now(),
      add column delivered_at timestamptz`.execute(db);
  await sql`
    update outbox o set status = case when p.parked then 'parked' else 'pending' end, attempts = p.attempts,
                        last_error = p.last_error, next_attempt_at = p.next_attempt_at
      from outbox_pending p where p.seq = o.seq`.execute(db);
  await sql`
    update outbox o set attempts = d.attempts, last_error = d.last_error, delivered_at = d.delivered_at
      from outbox_delivery d where d.seq = o.seq`.execute(db);
  await sql`alter table outbox alter column status set default 'pending'`.execute(db);
  await sql`drop table outbox_pending`.execute(db);
  await sql`drop table outbox_delivery`.execute(db);
  await sql`create index outbox_undelivered_by_entity on outbox (ekstern_identifier, seq) where status <> 'delivered'`.execute(
    db,
  );
  await sql`create index outbox_pending_due on outbox (next_attempt_at, seq) where status = 'pending'`.execute(
    db,
  );
  await sql`
    create index outbox_redaction_due on outbox (delivered_at)
      where payload is not null and status = 'delivered'`.execute(db);
  await sql`
    create view outbox_audit as
    select message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
           aendringstype, client_id, client_cert_subject, received_at, status, attempts, last_error,
           delivered_at, exchange, routing_key, payload, redacted_at, seq, traceparent, tracestate
      from outbox`.execute(db);
  await grantAuditView(db);
}
