import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

/**
 * scripts/start.sh in a checkout whose node_modules is a link to another checkout's (a worktree):
 * with a lockfile newer than the installed one it would run `npm ci`, which empties the linked
 * folder under the other checkout. It must leave the link alone. `npm` here is a stand-in that
 * records its arguments, so nothing is installed or built.
 */
describe('npm start (scripts/start.sh) with node_modules linked from another checkout', () => {
  let root: string;

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'wsb-start-link-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('does not run npm ci through the link, and the linked folder keeps its contents', () => {
    const shared = path.join(root, 'shared-node_modules');
    mkdirSync(shared);
    writeFileSync(path.join(shared, '.package-lock.json'), '{}');
    writeFileSync(path.join(shared, 'marker'), 'installed by the other checkout');
    const checkout = path.join(root, 'checkout');
    mkdirSync(path.join(checkout, 'scripts'), { recursive: true });
    for (const script of ['start.sh', 'ensure-node.sh'])
      cpSync(path.join('scripts', script), path.join(checkout, 'scripts', script));
    symlinkSync(shared, path.join(checkout, 'node_modules'));
    writeFileSync(path.join(checkout, 'package-lock.json'), '{}');
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(shared, '.package-lock.json'), past, past);
    // A stand-in npm that records every call and succeeds; node stays the real one.
    const bin = path.join(root, 'bin');
    mkdirSync(bin);
    const calls = path.join(root, 'npm-calls');
    writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$*" >> '${calls}'\n`);
    chmodSync(path.join(bin, 'npm'), 0o755);

    const run = spawnSync('bash', ['scripts/start.sh', '--help'], {
      cwd: checkout,
      env: { ...process.env, PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` },
      encoding: 'utf8',
    });

    const npmCalls = existsSync(calls) ? readFileSync(calls, 'utf8') : '';
    expect(npmCalls, run.stderr).to.not.match(/^ci\b/m);
    expect(run.stderr).to.include('node_modules is a link');
    expect(readFileSync(path.join(shared, 'marker'), 'utf8')).to.equal('installed by the other checkout');
  });
});
