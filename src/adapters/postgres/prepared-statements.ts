import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * Named prepared statements for the statements that run on every claim (sql/claim.ts). PostgreSQL
 * parses, analyses and plans an unnamed statement anew on every call; for the walk that is more
 * than half of its round trip on a small table (bench/walk-plan-probe.ts). A statement whose text
 * starts with PREPARED is sent by name instead: parsed once per connection, and planned once its
 * generic plan is as good as a custom one (PostgreSQL's plan_cache_mode, left at auto). Kysely sends
 * every statement unnamed, so the name is added below it, by the pool kysely is given.
 *
 * A marked statement's text must be one of a few, whatever its parameters: each text is a
 * statement kept on every connection that ran it. Texts past MAX_NAMED run unnamed.
 *
 * Prepared statements are per session: they need a session-pooled or direct connection to
 * PostgreSQL, not a transaction-pooling proxy (PgBouncer's pool_mode = transaction).
 */
const MARK_TEXT = '/*prepared*/ ';
export const PREPARED = sql.raw(MARK_TEXT);

/** The most statement texts that are given names; beyond them a marked statement runs unnamed. */
const MAX_NAMED = 64;

/**
 * feature_not_supported: among others, PostgreSQL's refusal of a cached plan whose result columns
 * changed type ("cached plan must not change result type", after a migration).
 */
const CACHED_PLAN_CHANGED = '0A000';

/** Statement texts and their names (a hash of the text, so one text always has one name). */
const names = new Map<string, string>();

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `wsb_${createHash('sha256').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * The pool kysely's PostgresDialect is given: `pool`'s clients, each wrapped once, sending marked
 * statements by name.
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PreparingClient>();
  return {
    // Kysely builds its cancelling control connection from these.
    Client: (pool as unknown as { Client: PostgresPool['Client'] }).Client,
    options: pool.options,
    async connect() {
      const client = await pool.connect();
      let preparing = wrapped.get(client);
      if (preparing === undefined) wrapped.set(client, (preparing = new PreparingClient(client)));
      return preparing;
    },
    end: () => pool.end(),
  };
}

class PreparingClient implements PostgresPoolClient {
  /**
   * Goes into every name on this connection: raised when PostgreSQL refuses a cached plan (its
   * result type changed under a migration), so that the next call prepares the statement afresh
   * under a new name. The call that met the refusal fails, as its transaction has.
   */
  private generation = 0;

  constructor(private readonly client: pg.PoolClient) {}

  get processID(): number | undefined {
    return (this.client as unknown as { processID?: number }).processID;
  }

  query<R>(text: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    textOrCursor: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    const client = this.client as unknown as PgQuery;
    if (typeof textOrCursor !== 'string') return client.query(textOrCursor);
    const name = textOrCursor.startsWith(MARK_TEXT) ? nameOf(textOrCursor) : undefined;
    if (name === undefined) return client.query(textOrCursor, parameters);
    const generation = this.generation;
    return client
      .query<R>({ name: `${name}_${generation}`, text: textOrCursor, values: parameters })
      .catch((error: unknown) => {
        if ((error as { code?: unknown }).code === CACHED_PLAN_CHANGED && this.generation === generation)
          this.generation++;
        throw error;
      });
  }

  release(destroy?: boolean): void {
    this.client.release(destroy);
  }
}

/** pg's Client.query in the three forms used here. */
interface PgQuery {
  query<R>(text: string, values?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(config: {
    name: string;
    text: string;
    values?: ReadonlyArray<unknown> | undefined;
  }): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
}
