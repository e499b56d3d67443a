import { expect } from 'chai';
import { main } from '../../src/main';

/** What main() writes to stdout and stderr while it runs, and its exit code. */
async function run(argv: readonly string[]): Promise<{ code: number; output: string }> {
  const written: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    return { code: await main(argv), output: written.join('') };
  } finally {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
  }
}

/** main.ts maps the command line to an exit code; importing it (above) started nothing. */
describe('main: the command line', () => {
  it('prints the usage: exit 0 when asked for, 2 without a command', async () => {
    const help = await run(['--help']);
    expect(help.code).to.equal(0);
    expect(help.output).to.include('outbox     operator commands');
    expect(help.output).to.include('see docs/configuration.md');
    expect((await run([])).code).to.equal(2);
  });

  it('refuses an unknown command with exit code 2', async () => {
    const unknown = await run(['publish-everything']);
    expect(unknown.code).to.equal(2);
    expect(unknown.output).to.include('unknown command "publish-everything"');
  });
});
