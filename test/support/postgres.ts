import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { createKysely, createPool, migrateToLatest } from '../../src/adapters/postgres/connection';
import type { Database } from '../../src/adapters/postgres/database';
import { TcpProxy } from './tcp-proxy';

/** The server the integration tests use; each test file makes its own database on it. */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

function urlFor(database: string, server: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A fresh database with a unique name, migrated to the latest schema unless `migrate` is false
 * (for tests of the migrations themselves); `drop()` removes it.
 */
export async function createTestDatabase(
  prefix = 'wsb_test',
  server = TEST_POSTGRES_URL,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = urlFor(name, server);
  const pool = createPool({
    connectionString: url,
    poolSize: 20,
    connectionTimeoutMs: 5000,
    applicationName: 'wsb-test',
  });
  const db = createKysely(pool);
  if (migrate) await migrateToLatest(db);
  return {
    name,
    url,
    db,
    pool,
    drop: async () => {
      await db.destroy();
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface DatabaseBehindProxy {
  /** Cut, restore or cut at COMMIT every connection of `db`. */
  readonly proxy: TcpProxy;
  /** A pool of its own that reaches the test database only through `proxy`. */
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

/** The test database behind a TCP proxy the test controls, for outages and lost connections. */
export async function behindProxy(
  database: TestDatabase,
  pool: { readonly connectionTimeoutMs: number; readonly applicationName: string },
): Promise<DatabaseBehindProxy> {
  const target = new URL(database.url);
  const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(database.url);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  const db = createKysely(createPool({ connectionString: viaProxy.toString(), poolSize: 5, ...pool }));
  return {
    proxy,
    db,
    close: async () => {
      await db.destroy();
      await proxy.close();
    },
  };
}
