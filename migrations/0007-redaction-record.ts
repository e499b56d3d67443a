import { type Kysely, sql } from 'kysely';
import { createAuditView, grantAuditView } from './0005-delivery-record';

/**
 * The record of what happened to a message after it was accepted, for the command line and the
 * console (issues 20 and 22):
 *
 * - Why a payload was redacted: outbox_delivery gains `redaction_reason` ('retention' | 'gdpr') and,
 *   for GDPR, `redacted_by`, the messageId of the notice that erased it (a notice's own payload:
 *   its own id). Only delivered rows are ever redacted, and the redaction already rewrites their
 *   narrow outbox_delivery row (payload_held), so the wide outbox row is not touched. outbox_audit
 *   shows both as its last columns. Existing redacted rows are filled in where the history allows
 *   it (see below) and left null where it does not.
 * - Which messages an action touched: operator_action_target links an action to every message of
 *   a group or bulk replay or park (and a subject-access search's results), so the log is read
 *   from any message.
 * - The indexes the read model's questions need (OutboxExplorer, docs/operations.md): GDPR notices
 *   by received time, delivered rows whose payload is gone by delivery time (with the retention
 *   index, every delivery since a given time), the rows a notice erased, and the log by actor.
 *   None is written by intake or by the relay's delivery commit.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table outbox_delivery
      add column redaction_reason text check (redaction_reason in ('retention', 'gdpr')),
      add column redacted_by uuid,
      add constraint outbox_delivery_redacted_by_gdpr check (redacted_by is null or redaction_reason = 'gdpr'),
      add constraint outbox_delivery_reason_when_released check (redaction_reason is null or not payload_held)`.execute(
    db,
  );
  await sql`
    create index outbox_gdpr_received on outbox (received_at, seq)
      where message_type = 'GdprSlettetNotifikation'`.execute(db);
  await fillRedactionRecord(db);
  await sql`create index outbox_delivery_released on outbox_delivery (delivered_at) where not payload_held`.execute(
    db,
  );
  await sql`
    create index outbox_delivery_redacted_by on outbox_delivery (redacted_by) where redacted_by is not null`.execute(
    db,
  );

  await sql`
    create table operator_action_target (
      action_id  bigint not null references operator_action (id) on delete cascade,
      message_id uuid not null,
      primary key (action_id, message_id)
    )`.execute(db);
  await sql`create index operator_action_target_by_message on operator_action_target (message_id, action_id)`.execute(
    db,
  );
  await sql`create index operator_action_actor on operator_action (actor, id)`.execute(db);
  await sql`revoke all on operator_action_target from public`.execute(db);
  // Before 0007 a single action named its message in message_id, the bulk replay its ids in details.
  await sql`
    insert into operator_action_target (action_id, message_id)
    select id, message_id from operator_action where message_id is not null
    union
    select a.id, m::uuid
      from operator_action a, jsonb_array_elements_text(a.details -> 'messageIds') m
     where jsonb_typeof(a.details -> 'messageIds') = 'array'
       and m ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`.execute(db);

  await sql`
    create or replace view outbox_audit as
    select o.message_id, o.request_id, o.message_type, o.ekstern_identifier, o.jobcenter_kode,
           o.registrerings_dato, o.aendringstype, o.client_id, o.client_cert_subject, o.received_at,
           case when p.parked then 'parked' else 'pending' end as status,
           p.attempts, p.last_error, null::timestamptz as delivered_at, o.exchange, o.routing_key,
           o.payload, o.redacted_at, o.seq, o.traceparent, o.tracestate,
           null::text as redaction_reason, null::uuid as redacted_by
      from outbox o
      join outbox_pending p on p.seq = o.seq
    union all
    select o.message_id, o.request_id, o.message_type, o.ekstern_identifier, o.jobcenter_kode,
           o.registrerings_dato, o.aendringstype, o.client_id, o.client_cert_subject, o.received_at,
           'delivered', coalesce(d.attempts, 0), d.last_error, d.delivered_at, o.exchange, o.routing_key,
           o.payload, o.redacted_at, o.seq, o.traceparent, o.tracestate,
           d.redaction_reason, d.redacted_by
      from outbox o
      left join outbox_delivery d on d.seq = o.seq
     where not exists (select 1 from outbox_pending p where p.seq = o.seq)`.execute(db);
  await grantAuditView(db);
  await sql`analyze outbox_delivery, operator_action, operator_action_target`.execute(db);
}

/**
 * What the history tells about rows redacted before 0007:
 *  - a GDPR notice's payload is only ever redacted by its own erasure: 'gdpr', by itself;
 *  - an Ordningsnotifikation is erased only by a LATER notice (greater seq), and only once that
 *    notice is delivered. If no later notice was delivered by the time the row was redacted, the
 *    retention sweep redacted it: 'retention'.
 *  - Otherwise either could have (the sweep runs retention first, and a notice's targets by CPR
 *    number are unknown once its payload is gone): left null.
 * One pass over the redacted rows and the notices, newest first, carrying the earliest delivery of
 * any later notice (a join of rows to the ranges between notices compared every row with every
 * range: 118 s at a million rows and 10 000 notices).
 */
async function fillRedactionRecord(db: Kysely<unknown>): Promise<void> {
  await sql`
    update outbox_delivery d set redaction_reason = 'gdpr', redacted_by = o.message_id
      from outbox o
     where o.seq = d.seq and o.message_type = 'GdprSlettetNotifikation' and o.redacted_at is not null
       and not d.payload_held`.execute(db);
  await sql`
    with ordered as (
      select o.seq, o.message_type, o.redacted_at,
             min(case when o.message_type = 'GdprSlettetNotifikation'
                      then (select d.delivered_at from outbox_delivery d where d.seq = o.seq) end)
               over (order by o.seq desc rows between unbounded preceding and 1 preceding) as earliest_notice_after
        from outbox o
       where o.redacted_at is not null or o.message_type = 'GdprSlettetNotifikation'
    )
    update outbox_delivery d set redaction_reason = 'retention'
      from ordered r
     where d.seq = r.seq and r.message_type = 'Ordningsnotifikation' and not d.payload_held
       and (r.earliest_notice_after is null or r.earliest_notice_after > r.redacted_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop view outbox_audit`.execute(db);
  await createAuditView(db);
  await sql`drop table operator_action_target`.execute(db);
  await sql`drop index operator_action_actor`.execute(db);
  await sql`drop index outbox_gdpr_received`.execute(db);
  await sql`drop index outbox_delivery_released`.execute(db);
  await sql`drop index outbox_delivery_redacted_by`.execute(db);
  await sql`
    alter table outbox_delivery
      drop constraint outbox_delivery_redacted_by_gdpr,
      drop constraint outbox_delivery_reason_when_released,
      drop column redaction_reason, drop column redacted_by`.execute(db);
}
