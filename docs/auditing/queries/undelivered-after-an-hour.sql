-- Query: messages not delivered one hour after they were accepted
-- Run: psql "host=… dbname=… user=…" -f undelivered-after-an-hour.sql
select message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, status, attempts,
       last_error, received_at, now() - received_at as waiting
  from outbox_audit
 where status <> 'delivered'
   and received_at < now() - interval '1 hour'
 order by received_at;
