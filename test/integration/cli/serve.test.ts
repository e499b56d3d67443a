import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { FICTITIOUS_CPR, ordningsnotifikation } from '../../support/fixtures';
import { type GatewayProcess, runGateway, startGateway } from '../../support/gateway-process';
import { ORDNINGS_PATH, post } from '../../support/intake';
import { TEST_POSTGRES_URL } from '../../support/postgres';

describe('wsb-gateway serve, as an operator runs it', function () {
  // Each case starts the gateway from source (tsx) as its own process: tens of seconds on a loaded machine.
  this.timeout(120_000);
  let databaseUrl: string;
  let databaseName: string;
  let dataDir: string;
  let gateway: GatewayProcess | undefined;

  before(async () => {
    databaseName = `wsb_cli_${Date.now().toString(36)}_${process.pid}`;
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`create database "${databaseName}"`);
    await admin.end();
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/${databaseName}`;
    databaseUrl = url.toString();
    dataDir = mkdtempSync(join(tmpdir(), 'wsb-cli-'));
  });

  after(async () => {
    await gateway?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`drop database if exists "${databaseName}" with (force)`);
    await admin.end();
  });

  it('refuses bad configuration with one clear message per bad value', () => {
    const result = runGateway(['serve'], { PORT: 'eighty', DB_POOL_SIZE: '0', DATABASE_URL: 'mysql://x' });
    expect(result.status).to.equal(78);
    expect(result.stderr).to.include('PORT: "eighty" is not a whole number');
    expect(result.stderr).to.include('DB_POOL_SIZE: 0 is outside');
    expect(result.stderr).to.include('DATABASE_URL must use postgres: or postgresql:');
  });

  it('refuses development-mode auth when NODE_ENV=production', () => {
    const result = runGateway(['serve'], { NODE_ENV: 'production', DATABASE_URL: databaseUrl });
    expect(result.status).to.equal(78);
    expect(result.stderr).to.include('development-mode auth is refused in production');
  });

  it('migrates, serves with a development token, logs no personal data, and stops cleanly on SIGTERM', async () => {
    expect(runGateway(['migrate'], { DATABASE_URL: databaseUrl }).status).to.equal(0);
    const env = {
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ADMIN_PORT: '0',
    };
    gateway = startGateway(['serve'], env);
    const listening = await gateway.waitForLog((l) => l.msg === 'intake listening');
    const port = (listening.address as { port: number }).port;
    const token = runGateway(['token'], { DATA_DIR: dataDir }).stdout.trim();
    expect(token.split('.')).to.have.length(3);

    const response = await post(`http://127.0.0.1:${port}`, ORDNINGS_PATH, {
      token,
      requestId: 'cli-1',
      body: ordningsnotifikation(),
    });
    expect(response.status).to.equal(200);
    const accessLine = await gateway.waitForLog((l) => l.msg === 'request' && l.requestId === 'cli-1');
    expect(accessLine).to.include({ status: 200, clientId: 'development-client' });

    const code = await gateway.stop('SIGTERM');
    expect(code).to.equal(0);
    const everything = JSON.stringify(gateway.logLines);
    expect(everything).to.not.include(FICTITIOUS_CPR);
    expect(everything).to.not.include(token);
    expect(everything).to.include('DEVELOPMENT MODE AUTH');
  });
});
