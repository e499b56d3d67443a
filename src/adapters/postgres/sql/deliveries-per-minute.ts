import { type RawBuilder, sql } from 'kysely';

export interface DeliveryMinuteRow {
  minute: Date;
  delivered: number;
  p50: number | null;
  p95: number | null;
}

/**
 * Deliveries per minute from `since` (to `before`), with the delay received → delivered
 * (percentile_cont, seconds). Each delivery costs a look-up of its outbox row for received_at, so
 * KyselyOutboxExplorer keeps the minutes that can no longer change (delivery-minutes.ts). outbox_delivery has no index on delivered_at of its own (the relay's delivery commit
 * would pay for it); its two partial ones cover every row between them: outbox_delivery_redaction_due
 * those that hold their payload, outbox_delivery_released (0007) those that no longer do.
 */
export function deliveriesPerMinute(since: Date, before?: Date): RawBuilder<DeliveryMinuteRow> {
  const until = before === undefined ? sql`` : sql`and delivered_at < ${before}`;
  return sql<DeliveryMinuteRow>`
    with delivered as (
      select seq, delivered_at from outbox_delivery where payload_held and delivered_at >= ${since} ${until}
      union all
      select seq, delivered_at from outbox_delivery where not payload_held and delivered_at >= ${since} ${until}
    )
    select date_trunc('minute', d.delivered_at) as minute, count(*)::int as delivered,
           percentile_cont(0.5) within group (order by extract(epoch from d.delivered_at - o.received_at)::float8) as p50,
           percentile_cont(0.95) within group (order by extract(epoch from d.delivered_at - o.received_at)::float8) as p95
      from delivered d
      join outbox o on o.seq = d.seq
     group by 1
     order by 1`;
}
