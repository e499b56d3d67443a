import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './database';

/**
 * One pooled connection, held until `release`: for a transaction that outlives a callback (a relay
 * claim stays open while its messages are published and confirmed).
 */
export interface HeldConnection {
  /** Queries on this connection only. */
  readonly db: Kysely<Database>;
  /**
   * Runs `text`, which has no parameters, in PostgreSQL's simple query protocol: several statements
   * in one round trip, all or (at the first failure) none of the rest.
   */
  script(text: string): Promise<void>;
  /** Gives the connection back to the pool; whatever transaction is open must have ended. */
  release(): void;
}

export function holdConnection(db: Kysely<Database>): Promise<HeldConnection> {
  return new Promise((resolve, reject) => {
    let release = (): void => undefined;
    const released = new Promise<void>((r) => (release = r));
    db.connection()
      .execute(async (connection) => {
        resolve({
          db: connection,
          script: async (text) => void (await connection.executeQuery(CompiledQuery.raw(text))),
          release,
        });
        await released;
      })
      .catch(reject);
  });
}
