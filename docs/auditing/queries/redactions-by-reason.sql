-- Query: redacted payloads per day and reason (retention or gdpr; null where migration 0007 could not tell)
-- Run: psql "host=… dbname=… user=…" -v from=… -v to=… -f redactions-by-reason.sql
select (redacted_at at time zone 'Europe/Copenhagen')::date as day, redaction_reason, count(*) as messages
  from outbox_audit
 where redacted_at >= :'from'::timestamptz
   and redacted_at <  :'to'::timestamptz
 group by 1, 2
 order by 1, 2;
