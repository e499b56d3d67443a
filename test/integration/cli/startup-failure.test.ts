import { expect } from 'chai';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../../src/adapters/postgres/embedded-postgres';
import { runGateway, startGateway } from '../../support/gateway-process';

/**
 * A process that fails while starting closes what it had opened before it exits: the relay stops,
 * the pools close, and the embedded database is shut down (its lock file and socket removed).
 */
describe('wsb-gateway failing to start closes what it opened', function () {
  this.timeout(180_000);
  let dataDir: string;
  let occupied: Server | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wsb-startup-failure-'));
  });

  afterEach(() => {
    occupied?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const lockFile = () => join(dataDir, 'pglite', 'owner.pid');

  it('start: the intake port is taken after the relay started; the relay stops and the embedded database closes', async () => {
    occupied = createServer();
    await new Promise<void>((resolve) => occupied!.listen(0, '127.0.0.1', resolve));
    const gateway = startGateway(['start'], {
      DATABASE_URL: undefined,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String((occupied.address() as AddressInfo).port),
      ADMIN_PORT: '0',
      // Nothing listens there: the relay starts and keeps trying, touching no broker.
      AMQP_URL: 'amqp://127.0.0.1:1',
    });
    await gateway.waitForLog((l) => l.msg === 'relay started', 120_000);
    // 'close', not 'exit': the log lines written before the exit are all read by then.
    const [code] = (await once(gateway.child, 'close')) as [number | null];

    // A busy port is a configuration problem the operator can fix by a setting: EX_CONFIG (78).
    expect(code).to.equal(78);
    expect(
      gateway.logLines.map((l) => l.msg),
      JSON.stringify(gateway.logLines),
    ).to.include('relay stopped');
    expect(existsSync(lockFile()), 'the embedded database was closed').to.equal(false);
  });

  it('outbox: the migration fails; the embedded database closes', async () => {
    // A migration this code does not know is recorded as applied: migrateToLatest refuses to go on.
    const database = await startEmbeddedPostgres(dataDir, 4);
    const client = new pg.Client({ connectionString: database.connectionString });
    await client.connect();
    await client.query(
      'create table kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null)',
    );
    await client.query(
      `insert into kysely_migration values ('9999_from_the_future', '2026-01-01T00:00:00Z')`,
    );
    await client.end();
    await database.stop();

    const result = runGateway(['outbox', 'stats'], { DATABASE_URL: undefined, DATA_DIR: dataDir });

    expect(result.status, result.stderr).to.equal(1);
    expect(result.stderr).to.include('9999_from_the_future');
    expect(existsSync(lockFile()), 'the embedded database was closed').to.equal(false);
  });
});
