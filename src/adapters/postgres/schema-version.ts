import { sql, type Kysely } from 'kysely';
import { migrationProvider } from '../../../migrations';
import { explainDatabaseFailure } from './connection';
import type { Database } from './database';
import { sqlState } from './database-refusal';

/** How the database's schema compares with the migrations this build carries. */
export type SchemaComparison =
  | { readonly _tag: 'Current' }
  /** Migrations this build has that the database has not had applied: `wsb-gateway migrate` is due. */
  | { readonly _tag: 'Older'; readonly missing: readonly string[] }
  /** Migrations a newer release applied that this build does not know. */
  | { readonly _tag: 'Newer'; readonly unknown: readonly string[] }
  /** The login may not read the migration table: nothing can be said (the commands go on). */
  | { readonly _tag: 'Unreadable' };

const UNDEFINED_TABLE = '42P01';
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Reads which migrations the database has, with one `select` and nothing else: no lock, no
 * `create table`, so a read-only login (or a read-only transaction) can run it, and it never
 * changes the schema under running processes as migrating would.
 */
export async function compareSchema(db: Kysely<Database>): Promise<SchemaComparison> {
  let applied: string[];
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    applied = rows.map((r) => r.name);
  } catch (error) {
    const state = sqlState(error);
    if (state === UNDEFINED_TABLE) applied = [];
    else if (state === INSUFFICIENT_PRIVILEGE) return { _tag: 'Unreadable' };
    else throw explainDatabaseFailure(error);
  }
  const known = Object.keys(await migrationProvider.getMigrations());
  const unknown = applied.filter((name) => !known.includes(name)).sort();
  if (unknown.length > 0) return { _tag: 'Newer', unknown };
  const missing = known.filter((name) => !applied.includes(name)).sort();
  if (missing.length > 0) return { _tag: 'Older', missing };
  return { _tag: 'Current' };
}
