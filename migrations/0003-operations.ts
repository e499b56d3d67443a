import { type Kysely, sql } from 'kysely';

/**
 * Operations and data protection: the operator's action log, the read-only auditor role, and the
 * indexes that keep payload redaction cheap however long the outbox grows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Who replayed, parked or redacted what, when and why. `details` holds ids, counts and previous
  // states only, never a payload value.
  await sql`
    create table operator_action (
      id          bigint generated always as identity primary key,
      action      text not null check (action in ('replay', 'park', 'redact')),
      message_id  uuid,
      request_id  varchar(46),
      actor       text not null check (length(actor) between 1 and 200),
      reason      text not null check (length(reason) between 1 and 2000),
      at          timestamptz not null default now(),
      dry_run     boolean not null default false,
      details     jsonb not null default '{}'::jsonb
    )`.execute(db);
  await sql`create index operator_action_message on operator_action (message_id) where message_id is not null`.execute(
    db,
  );
  await sql`create index operator_action_at on operator_action (at)`.execute(db);

  // Retention: delivered rows that still carry a payload, oldest delivery first. Shrinks back to
  // about PAYLOAD_RETENTION_DAYS of traffic as the sweep redacts.
  await sql`
    create index outbox_redaction_due on outbox (delivered_at)
      where payload is not null and status = 'delivered'`.execute(db);
  // GDPR erasure: delivered GdprSlettetNotifikation rows not yet redacted (a handful at any time),
  // and the CPR number of unredacted Ordningsnotifikation rows. The CPR index holds nothing the
  // table does not, and its entries go with the payload (partial on payload is not null).
  await sql`
    create index outbox_gdpr_unredacted on outbox (seq)
      where message_type = 'GdprSlettetNotifikation' and payload is not null`.execute(db);
  await sql`
    create index outbox_unredacted_cpr on outbox ((payload -> 'ordningsnotifikation' -> 'body' ->> 'cprNummer'))
      where payload is not null and message_type = 'Ordningsnotifikation'`.execute(db);

  // Every row is updated at least twice (delivered, redacted). With the default scale factor (20 %)
  // autovacuum waits for 200 000 dead rows at a million, and the partial indexes the relay's claim
  // walks fill with dead entries meanwhile (bench/growth.ts: p95 0.6 s right after 100 000 deliveries,
  // about 10 ms after a vacuum). Vacuum the outbox after about 1 % instead.
  await sql`
    alter table outbox set (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                            autovacuum_analyze_scale_factor = 0.02)`.execute(db);

  // The auditors' role: cluster-global, so created only if missing (several databases on one
  // server, or two migrations racing, may both try). Operators grant it to login roles.
  await sql`
    do $$ begin
      create role wsb_auditor nologin;
    exception when duplicate_object or unique_violation then null;
    end $$`.execute(db);
  await sql`revoke all on outbox from wsb_auditor`.execute(db);
  await sql`revoke all on operator_action from wsb_auditor`.execute(db);
  await sql`grant usage on schema public to wsb_auditor`.execute(db);
  await sql`grant select on outbox_audit to wsb_auditor`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The role may hold grants in other databases of the cluster: only this database's are removed.
  await sql`
    do $$ begin
      if exists (select 1 from pg_roles where rolname = 'wsb_auditor') then
        revoke select on outbox_audit from wsb_auditor;
      end if;
    end $$`.execute(db);
  await sql`
    alter table outbox reset (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
                              autovacuum_analyze_scale_factor)`.execute(db);
  await sql`drop index if exists outbox_unredacted_cpr`.execute(db);
  await sql`drop index if exists outbox_gdpr_unredacted`.execute(db);
  await sql`drop index if exists outbox_redaction_due`.execute(db);
  await sql`drop table if exists operator_action`.execute(db);
}
