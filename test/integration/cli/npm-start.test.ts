import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/**
 * `npm run gateway` (scripts/start.sh) as a supervisor runs it: the build is skipped when dist/ is
 * current, and a SIGTERM to npm reaches the gateway, which shuts down cleanly instead of being
 * orphaned. The first run may build (a fresh clone has no dist/), hence the long timeout.
 */
describe('npm run gateway: fast start, and signals that reach the gateway', function () {
  this.timeout(240_000);
  let database: TestDatabase;
  let npm: ChildProcess | undefined;

  before(async () => {
    database = await createTestDatabase('wsb_npm_start');
    const build = spawnSync('npm', ['run', '--silent', 'gateway', '--', '--help'], { encoding: 'utf8' });
    expect(build.status, build.stderr).to.equal(0);
  });
  after(async () => {
    if (npm?.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    await database.drop();
  });

  const processExists = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('skips the build when dist/ is current, and a SIGTERM to npm stops the gateway cleanly', async () => {
    const builtAt = statSync('dist/.build-stamp').mtimeMs;
    npm = spawn('npm', ['run', '--silent', 'gateway', '--', 'serve'], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        PORT: '0',
        ADMIN_PORT: '0',
        HOST: '127.0.0.1',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 120_000;
    while (!output.includes('intake listening')) {
      if (Date.now() > deadline || npm.exitCode !== null)
        throw new Error(`gateway did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(statSync('dist/.build-stamp').mtimeMs, 'dist/ rebuilt although current').to.equal(builtAt);

    // npm's child is the gateway itself (each shell execs the next), so npm's forwarded signal reaches it.
    const children = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(npm.pid)], { encoding: 'utf8' });
    const gateway = children.stdout.split('\n').find((l) => l.includes('dist/src/main.js serve'));
    expect(gateway, `npm's children:\n${children.stdout}`).to.not.equal(undefined);
    const gatewayPid = Number(gateway?.trim().split(/\s+/)[0]);

    npm.kill('SIGTERM');
    await once(npm, 'exit');
    const stopped = Date.now() + 20_000;
    while (processExists(gatewayPid) && Date.now() < stopped) await new Promise((r) => setTimeout(r, 100));
    expect(processExists(gatewayPid), 'the gateway outlived npm').to.equal(false);
    expect(output).to.include('shutting down');
  });
});
