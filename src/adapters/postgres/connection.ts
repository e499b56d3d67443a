import { Kysely, PostgresDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { StorageUnavailableError } from '../../application/intake/ports';
import { migrationProvider } from '../../../migrations';
import type { Database } from './database';
import { errorMessage } from '../logging';

export interface PostgresSettings {
  readonly connectionString: string;
  readonly poolSize: number;
  /** How long a request waits for a connection before the database counts as unreachable. */
  readonly connectionTimeoutMs: number;
  readonly applicationName: string;
}

// pg sends a Date parameter as local time with the zone's current-style offset, which cuts the
// seconds of historic offsets (Copenhagen's local mean time before 1894 is +00:50:20): a
// registreringsDato from 1850 would be stored 20 s off under TZ=Europe/Copenhagen. In UTC every
// instant is exact whatever the process's TZ. It is pg's only switch for this, and process-wide.
pg.defaults.parseInputDatesAsUTC = true;

export function createPool(settings: PostgresSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    max: settings.poolSize,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    application_name: settings.applicationName,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor may a checked-out one: the pool listens for errors on idle clients only, and a client held
  // between statements (a relay claim awaiting its confirms, an intake batch waiting for its
  // appends) emits 'error' when PostgreSQL goes away, which with no listener kills the process.
  // The statement that uses it next fails, and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export function createKysely(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db: db as unknown as Kysely<unknown>, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error');
    // No migration failed: the database could not be reached or used at all.
    if (failed === undefined) throw explainDatabaseFailure(error);
    throw new Error(`migration ${failed.migrationName} failed: ${errorMessage(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * A failure to reach or use the database, said so that it points at what to fix (DATABASE_URL's
 * database name, login, host), with the server's own message; never the URL, which holds a password.
 */
export function explainDatabaseFailure(error: unknown): Error {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = errorMessage(error);
  const explain = (text: string) => new Error(text, { cause: error });
  switch (code) {
    case '3D000':
      return explain(
        `${message}: DATABASE_URL names a database that does not exist on that server; fix the name or create the database`,
      );
    case '28P01':
    case '28000':
      return explain(
        `the database refused the login (${message}); check the user and password in DATABASE_URL`,
      );
    case '42501':
      return explain(
        `the database login lacks a privilege (${message}); the gateway's own login must own its schema`,
      );
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
      return explain(
        `cannot reach the database (${code}: ${message}); is PostgreSQL running, and are DATABASE_URL's host and port right?`,
      );
    default:
      return explain(`the database failed: ${message}`);
  }
}

// SQLSTATE classes and codes that mean "the database is not there right now", not "your query is wrong".
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code)))
    return true;
  const message = error.message;
  return (
    message.includes('timeout exceeded when trying to connect') ||
    message.includes('Connection terminated') ||
    message.includes('Client has encountered a connection error') ||
    message.includes('connection is closed') ||
    (error instanceof AggregateError && error.errors.some(isDatabaseUnavailable))
  );
}

/** Rethrows connection failures as StorageUnavailableError; everything else unchanged. */
export function translateUnavailable(error: unknown): never {
  if (isDatabaseUnavailable(error)) {
    throw new StorageUnavailableError('the database is unreachable', { cause: error });
  }
  throw error;
}

export const UNIQUE_VIOLATION = '23505';
