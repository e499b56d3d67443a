import { sql } from 'kysely';

/**
 * The rows of outbox_delivery as the planner estimates them, without reading them: the tuple
 * density of the last VACUUM or ANALYZE (reltuples / relpages) times the table's pages now, as
 * PostgreSQL's own estimate_rel_size extrapolates. Null while the table has never been analysed
 * (reltuples −1) or held no page then. A catalogue read and a file size: cheap at any history size.
 */
export const DELIVERED_ESTIMATE_SQL = sql<{ n: string | null }>`
  select case when c.reltuples < 0 or c.relpages = 0 then null
              else round(c.reltuples / c.relpages
                         * (pg_relation_size(c.oid) / current_setting('block_size')::int))::bigint
         end as n
    from pg_class c
   where c.oid = 'outbox_delivery'::regclass`;
