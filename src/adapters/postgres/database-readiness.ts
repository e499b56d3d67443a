import { type Kysely, sql } from 'kysely';
import type { ReadinessCheck } from '../../application/operations/ports';
import type { Database } from './database';

/** Ready when a pooled connection answers `select 1`. */
export function databaseReadiness(db: Kysely<Database>): ReadinessCheck {
  return {
    name: 'database',
    check: async () => {
      await sql`select 1`.execute(db);
    },
  };
}
