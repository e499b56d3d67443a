import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FICTITIOUS_CPR, ordningsnotifikation } from '../../support/fixtures';
import { type GatewayProcess, runGateway, startGateway } from '../../support/gateway-process';
import { ORDNINGS_PATH, post } from '../../support/intake';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

describe('LOG_FORMAT: lines a person can read at a terminal', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let dataDir: string;
  let gateway: GatewayProcess | undefined;

  before(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'wsb-logformat-'));
  });

  after(async () => {
    await gateway?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  });

  it('refuses an unknown format', () => {
    const result = runGateway(['serve'], { LOG_FORMAT: 'xml' });
    expect(result.status).to.equal(78);
    expect(result.stderr).to.include('LOG_FORMAT: "xml" is not one of auto, json, pretty');
  });

  it('LOG_FORMAT=pretty prints pino-pretty lines (not JSON), still without personal data', async () => {
    gateway = startGateway(['serve'], {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      LOG_FORMAT: 'pretty',
    });
    const listening = await gateway.waitForLog(
      (l) => typeof l.raw === 'string' && l.raw.includes('intake listening'),
    );
    expect(listening.raw).to.match(/INFO/);
    const port = /"?port"?: (\d+)/.exec(gateway.logLines.map((l) => String(l.raw)).join('\n'))?.[1];
    expect(port, 'the listening line shows the port').to.not.equal(undefined);
    const token = runGateway(['token'], { DATA_DIR: dataDir }).stdout.trim();
    expect(
      (
        await post(`http://127.0.0.1:${port}`, ORDNINGS_PATH, {
          token,
          requestId: 'pretty-1',
          body: ordningsnotifikation(),
        })
      ).status,
    ).to.equal(200);
    await gateway.waitForLog((l) => typeof l.raw === 'string' && l.raw.includes('pretty-1'));
    expect(await gateway.stop('SIGTERM')).to.equal(0);
    expect(gateway.logLines.every((l) => typeof l.raw === 'string')).to.equal(true);
    const everything = gateway.logLines.map((l) => String(l.raw)).join('\n');
    expect(everything).to.not.include(FICTITIOUS_CPR);
    expect(everything).to.not.include(token);
  });
});
