import { expect } from 'chai';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../../../src/adapters/postgres/database';
import { deliveredStatement } from '../../../src/adapters/postgres/sql/settle';

// Compiling needs no connection: the dialect's pool is never asked for one.
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: {} as never }) });

describe('adapters/postgres/sql/settle deliveredStatement', () => {
  it('carries its seqs inline, with no parameter, so that it and the COMMIT go in one round trip', () => {
    const compiled = deliveredStatement(['1', '42', '9007199254740993']).compile(db);
    expect(compiled.parameters).to.deep.equal([]);
    expect(compiled.sql).to.contain(`'{1,42,9007199254740993}'::bigint[]`);
  });

  it('refuses anything but digits, so nothing else can reach the statement text', () => {
    for (const bad of ['1,2', "1'; drop table outbox; --", '', '-1', '1 ']) {
      expect(() => deliveredStatement(['1', bad]), bad).to.throw(/not a seq/);
    }
  });
});
