import { sql } from 'kysely';

export interface ConnectedProcessRow {
  application_name: string;
  client_address: string | null;
  connections: number;
  since: Date;
}

/**
 * The gateway's pools connected to this database: pg_stat_activity's sessions named
 * `wsb-gateway <purpose> pid <pid>` (database-module.ts), one row per name and client address.
 * Sessions of another database role show their application_name only to a role with
 * pg_read_all_stats, or to a superuser.
 */
export const CONNECTED_PROCESSES = sql<ConnectedProcessRow>`
  select application_name, host(client_addr) as client_address, count(*)::int as connections,
         min(backend_start) as since
    from pg_stat_activity
   where datname = current_database() and application_name like 'wsb-gateway %'
   group by application_name, client_addr
   order by application_name, host(client_addr)`;
