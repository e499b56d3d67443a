import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { sql } from 'kysely';
import { runMain } from '../../support/command-line';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../../support/postgres';

/**
 * The command line as an operator meets it (issue 20's "Why"), run as the executable runs it:
 * help that never acts, operator commands that never migrate, errors that point at the setting.
 */
describe('wsb-gateway: the operator’s command line against a real database', () => {
  let fresh: TestDatabase;
  let migrated: TestDatabase;

  before(async () => {
    fresh = await createTestDatabase('wsb_cli_fresh', TEST_POSTGRES_URL, { migrate: false });
    migrated = await createTestDatabase('wsb_cli_migrated');
  });
  after(async () => {
    await fresh.drop();
    await migrated.drop();
  });

  const hasMigrationTable = async (database: TestDatabase) =>
    (
      await sql<{ found: string | null }>`select to_regclass('kysely_migration')::text as found`.execute(
        database.db,
      )
    ).rows[0]?.found !== null;

  it('migrate --help prints the usage and does not migrate', async () => {
    const result = await runMain(['migrate', '--help'], { DATABASE_URL: fresh.url });
    expect(result.code).to.equal(0);
    expect(result.stdout).to.include('usage: wsb-gateway migrate');
    expect(await hasMigrationTable(fresh)).to.equal(false);
  });

  it('serve --help prints the usage and exits instead of listening', async () => {
    const result = await runMain(['serve', '--help'], {
      DATABASE_URL: fresh.url,
      PORT: '0',
      ADMIN_PORT: '0',
    });
    expect(result.code).to.equal(0);
    expect(result.stdout).to.include('usage: wsb-gateway serve');
    expect(result.stdout).to.not.include('listening');
  });

  it('an operator command against an older schema stops, names `wsb-gateway migrate`, and migrates nothing', async () => {
    const result = await runMain(['outbox', 'stats'], { DATABASE_URL: fresh.url });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('older than this wsb-gateway').and.include('wsb-gateway migrate');
    expect(await hasMigrationTable(fresh)).to.equal(false);
  });

  it('an operator command against a newer schema stops and says so', async () => {
    await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', now())`.execute(
      migrated.db,
    );
    try {
      const result = await runMain(['outbox', 'stats'], { DATABASE_URL: migrated.url });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('newer than this wsb-gateway').and.include('9999-from-the-future');
      expect(result.stderr).to.include('wsb-gateway migrate');
    } finally {
      await sql`delete from kysely_migration where name = '9999-from-the-future'`.execute(migrated.db);
    }
  });

  it('operator commands that only read work for a login that may only read', async () => {
    const login = `wsb_reader_${randomBytes(4).toString('hex')}`;
    await sql.raw(`create role ${login} login`).execute(migrated.db);
    try {
      await sql.raw(`grant select on all tables in schema public to ${login}`).execute(migrated.db);
      await sql.raw(`alter role ${login} set default_transaction_read_only = on`).execute(migrated.db);
      const url = new URL(migrated.url);
      url.username = login;
      const result = await runMain(['outbox', 'stats', '--json'], { DATABASE_URL: url.toString() });
      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).to.have.property('countByStatus');
      for (const argv of [
        ['outbox', 'list', '--blocked'],
        ['outbox', 'actions'],
        ['outbox', 'list', '--json'],
      ]) {
        const read = await runMain(argv, { DATABASE_URL: url.toString() });
        expect(read.code, `${argv.join(' ')}: ${read.stderr}`).to.equal(0);
      }
    } finally {
      await sql.raw(`drop owned by ${login}`).execute(migrated.db);
      await sql.raw(`drop role ${login}`).execute(migrated.db);
    }
  });

  it('a wrong database name says so, naming DATABASE_URL', async () => {
    const url = new URL(fresh.url);
    url.pathname = '/wsb_no_such_database';
    const result = await runMain(['migrate'], { DATABASE_URL: url.toString() });
    expect(result.code).to.equal(1);
    expect(result.stderr)
      .to.include('database "wsb_no_such_database" does not exist')
      .and.include('DATABASE_URL');
    expect(result.stderr).to.not.include('(unknown)');
  });

  it('in production, a missing DATABASE_URL is reported together with missing auth, each on its own line', async () => {
    const result = await runMain(['serve'], { NODE_ENV: 'production', DATABASE_URL: '', PORT: 'x' });
    expect(result.code).to.equal(78);
    const lines = result.stderr.split('\n');
    expect(lines.some((l) => l.includes('DATABASE_URL is required when NODE_ENV=production'))).to.equal(true);
    expect(lines.some((l) => l.includes('development-mode auth is refused in production'))).to.equal(true);
    expect(lines.some((l) => l.includes('PORT: "x" is not a whole number'))).to.equal(true);
  });

  describe('a busy port names the setting that moves it', () => {
    let busy: Server;
    let port: number;
    before(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      port = (busy.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => busy.close(() => resolve())));

    for (const setting of ['PORT', 'ADMIN_PORT']) {
      it(setting, async () => {
        const result = await runMain(['serve'], {
          DATABASE_URL: migrated.url,
          HOST: '127.0.0.1',
          PORT: '0',
          ADMIN_PORT: '0',
          [setting]: String(port),
        });
        expect(result.code, result.stderr).to.equal(78);
        expect(result.stderr).to.include(`${setting}: port ${port} on 127.0.0.1 is already in use`);
        expect(result.stderr).to.include(`set ${setting} to a free port`);
      });
    }
  });
});
