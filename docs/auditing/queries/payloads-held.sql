-- Query: which payloads (personal data) are still held, by type and status
-- Run: psql "host=… dbname=… user=…" -f payloads-held.sql
select message_type, status, count(*) as messages, min(received_at) as oldest_received,
       min(delivered_at) as oldest_delivered
  from outbox_audit
 where payload is not null
 group by message_type, status
 order by message_type, status;
