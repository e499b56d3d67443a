import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ordningsnotifikation } from '../../support/fixtures';
import { type GatewayProcess, runGateway, startGateway } from '../../support/gateway-process';
import { ORDNINGS_PATH, post } from '../../support/intake';

describe('wsb-gateway without DATABASE_URL: the embedded database', function () {
  // Starting PGlite from source took 2 min 47 s at a load average of 20 (2 December 2026).
  this.timeout(600_000);
  let dataDir: string;
  let gateway: GatewayProcess | undefined;

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wsb-embedded-'));
  });

  after(async () => {
    await gateway?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts on PGlite in the data folder, accepts a notification, lets a second process reach it over its socket, keeps it across a restart', async () => {
    const env = { DATABASE_URL: undefined, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_PORT: '0' };
    gateway = startGateway(['serve'], env);
    const listening = await gateway.waitForLog((l) => l.msg === 'intake listening', 300_000);
    expect(JSON.stringify(gateway.logLines)).to.include('EMBEDDED DATABASE');
    const baseUrl = `http://127.0.0.1:${(listening.address as { port: number }).port}`;
    const token = runGateway(['token'], { DATA_DIR: dataDir }).stdout.trim();

    expect(
      (await post(baseUrl, ORDNINGS_PATH, { token, requestId: 'emb-1', body: ordningsnotifikation() }))
        .status,
    ).to.equal(200);

    const second = runGateway(['migrate'], { DATABASE_URL: undefined, DATA_DIR: dataDir });
    expect(second.status, second.stderr).to.equal(0); // reaches the running one over its socket

    expect(await gateway.stop('SIGTERM')).to.equal(0);
    gateway = startGateway(['serve'], env);
    const again = await gateway.waitForLog((l) => l.msg === 'intake listening', 300_000);
    const baseUrl2 = `http://127.0.0.1:${(again.address as { port: number }).port}`;
    const repeat = await post(baseUrl2, ORDNINGS_PATH, {
      token,
      requestId: 'emb-1',
      body: ordningsnotifikation(),
    });
    expect(repeat.status).to.equal(412);
  });
});
