-- Query: GDPR deletions and whether the earlier messages they name still hold a payload
-- Run: psql "host=… dbname=… user=…" -v from=… -v to=… -f gdpr-deletions.sql
select g.message_id as gdpr_message_id, g.request_id, g.received_at, g.status, g.delivered_at,
       g.redacted_at as gdpr_payload_redacted_at,
       (select count(*)
          from outbox_audit m
         where m.seq < g.seq
           and m.message_type = 'Ordningsnotifikation'
           and m.payload is not null
           and m.ekstern_identifier = g.ekstern_identifier) as earlier_same_entity_still_held
  from outbox_audit g
 where g.message_type = 'GdprSlettetNotifikation'
   and g.received_at >= :'from'::timestamptz
   and g.received_at <  :'to'::timestamptz
 order by g.seq;
