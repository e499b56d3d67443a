import { expect } from 'chai';
import { sql } from 'kysely';
import { KyselyUnitOfWork } from '../../support/kysely-unit-of-work';
import { parseDateTime } from '../../../src/domain/primitives';
import { outboxMessage } from '../../support/outbox-contract';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** A timestamptz is the instant it was given, whatever TZ the gateway's process runs in. */
describe('adapters/postgres: timestamps are stored exactly under any TZ', () => {
  let database: TestDatabase;
  const tz = process.env.TZ;

  before(async () => {
    database = await createTestDatabase('wsb_tz');
    process.env.TZ = 'Europe/Copenhagen';
  });
  after(async () => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
    await database.drop();
  });

  for (const text of [
    '1850-06-15T12:00:00Z',
    '1893-12-31T23:59:59Z',
    '0050-01-01T00:00:00Z',
    '2025-03-30T02:30:00',
  ]) {
    it(`stores registreringsDato ${text} as the instant it denotes, under TZ=Europe/Copenhagen`, async () => {
      expect(new Date(0).getTimezoneOffset(), 'the process runs in Copenhagen time').to.equal(-60);
      const instant = parseDateTime(text);
      if (instant === undefined) throw new Error('fixture does not parse');
      const message = { ...outboxMessage(`tz-${text}`), registreringsDato: instant, receivedAt: instant };
      await new KyselyUnitOfWork(database.db).run(({ outbox }) => outbox.append(message));
      const { rows } = await sql<{ registrerings: string; received: string }>`
        select to_char(registrerings_dato at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as registrerings,
               to_char(received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as received
        from outbox where request_id = ${message.requestId}`.execute(database.db);
      const expected = instant
        .toISOString()
        .replace(/Z$/, '')
        .replace(/^\+?0*(\d{4})/, '$1');
      expect(rows[0]).to.deep.equal({ registrerings: expected, received: expected });
    });
  }
});
