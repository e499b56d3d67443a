import { type Kysely, sql } from 'kysely';
import type { Migrator } from 'kysely/migration';
import type { Database } from '../../src/adapters/postgres/database';

/** Migrates up or down to `target`; resolves with the names of the migrations it ran. */
export async function migrateTo(migrator: Migrator, target: string): Promise<string[]> {
  const { error, results } = await migrator.migrateTo(target);
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).map((r) => {
    if (r.status !== 'Success') throw new Error(`migration ${r.migrationName}: ${r.status}`);
    return r.migrationName;
  });
}

/** Every row of outbox_audit, every column in the view's order, by seq. */
export async function auditRows(db: Kysely<Database>): Promise<Array<Record<string, unknown>>> {
  const { rows } = await sql<Record<string, unknown>>`select * from outbox_audit order by seq`.execute(db);
  return rows;
}
