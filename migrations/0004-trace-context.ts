import { type Kysely, sql } from 'kysely';

/**
 * W3C trace context with each row: the intake stores the request's `traceparent` (continued, or a
 * new trace) and `tracestate`, the relay publishes them as AMQP headers. Null for rows accepted
 * before this migration. The columns are added at the end of outbox_audit, so auditors' queries
 * that name columns, or read them by position, keep working.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbox add column traceparent text, add column tracestate text`.execute(db);
  await sql`
    create or replace view outbox_audit as
    select message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
           aendringstype, client_id, client_cert_subject, received_at, status, attempts, last_error,
           delivered_at, exchange, routing_key, payload, redacted_at, seq, traceparent, tracestate
      from outbox`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // A view cannot drop columns with CREATE OR REPLACE: recreate it as 0001 made it, with its grant.
  await sql`drop view outbox_audit`.execute(db);
  await sql`
    create view outbox_audit as
    select message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
           aendringstype, client_id, client_cert_subject, received_at, status, attempts, last_error,
           delivered_at, exchange, routing_key, payload, redacted_at, seq
      from outbox`.execute(db);
  await sql`
    do $$ begin
      if exists (select 1 from pg_roles where rolname = 'wsb_auditor') then
        grant select on outbox_audit to wsb_auditor;
      end if;
    end $$`.execute(db);
  await sql`alter table outbox drop column traceparent, drop column tracestate`.execute(db);
}
