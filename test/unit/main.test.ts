import { expect } from 'chai';
import { runMain } from '../support/command-line';

/** What main() writes to stdout and stderr while it runs, and its exit code. */
async function run(argv: readonly string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await runMain(argv);
  return { code, output: stdout + stderr };
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

/**
 * `--help` and `-h` print the command's usage and exit 0 without acting. The environment points at
 * a database that does not exist and a port already in use: a command that acted would fail or
 * never return.
 */
describe('main: --help on every command and subcommand', () => {
  const saved = { ...process.env };
  before(() => {
    process.env.DATABASE_URL = 'postgres://nobody@127.0.0.1:1/not_there';
    process.env.NODE_ENV = 'production';
    process.env.PORT = 'not a port';
  });
  after(() => {
    for (const key of ['DATABASE_URL', 'NODE_ENV', 'PORT']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  const cases: Array<[string[], string]> = [
    [['serve'], 'usage: wsb-gateway serve'],
    [['relay'], 'usage: wsb-gateway relay'],
    [['start'], 'usage: wsb-gateway start'],
    [['migrate'], 'usage: wsb-gateway migrate'],
    [['console'], 'usage: wsb-gateway console'],
    [['token'], 'usage: wsb-gateway token'],
    [['outbox'], 'usage: wsb-gateway outbox <command>'],
    [['outbox', 'stats'], 'usage: wsb-gateway outbox stats'],
    [['outbox', 'list'], 'usage: wsb-gateway outbox list'],
    [['outbox', 'show'], 'usage: wsb-gateway outbox show'],
    [['outbox', 'replay'], 'usage: wsb-gateway outbox replay'],
    [['outbox', 'park'], 'usage: wsb-gateway outbox park'],
    [['outbox', 'actions'], 'usage: wsb-gateway outbox actions'],
    [['outbox', 'redact'], 'usage: wsb-gateway outbox redact'],
  ];
  for (const [command, usage] of cases) {
    for (const help of ['--help', '-h']) {
      it(`${command.join(' ')} ${help}`, async () => {
        const result = await run([...command, help]);
        expect(result.code, result.output).to.equal(0);
        expect(result.output).to.include(usage);
      });
    }
  }

  it('wins wherever it stands among other arguments', async () => {
    for (const argv of [
      ['outbox', 'show', '-h'],
      ['outbox', 'show', 'nc-016', '--payload', '--help'],
      ['outbox', 'park', '--reason', 'x', 'nc-016', '-h'],
      ['outbox', 'replay', '--dry-run', '--help', 'nc-016'],
      ['token', '--ttl', '60', '--help'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).to.equal(0);
      expect(result.output, argv.join(' ')).to.include('usage: wsb-gateway');
    }
  });

  it('refuses unknown options and surplus arguments with exit 2 and the usage, before reading the configuration', async () => {
    const unknown = await run(['migrate', '--force']);
    expect(unknown.code).to.equal(2);
    expect(unknown.output).to.include('unknown option --force').and.include('usage: wsb-gateway migrate');
    const surplus = await run(['outbox', 'park', 'a', 'b', '--reason', 'x']);
    expect(surplus.code).to.equal(2);
    expect(surplus.output).to.include('unexpected argument "b"');
    const bareReason = await run(['outbox', 'park', 'a', '--reason']);
    expect(bareReason.code).to.equal(2);
    expect(bareReason.output).to.include('--reason needs a value');
  });
});
