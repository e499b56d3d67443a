-- Query: the messages one GDPR notice erased (its own payload included), in acceptance order
-- Run: psql "host=… dbname=… user=…" -v notice_message_id=… -f gdpr-erased-by-notice.sql
select message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, received_at,
       delivered_at, redacted_at
  from outbox_audit
 where redaction_reason = 'gdpr'
   and redacted_by = :'notice_message_id'::uuid
 order by seq;
