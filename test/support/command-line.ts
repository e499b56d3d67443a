import { main, reportFailure } from '../../src/main';

export interface CommandLineResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `wsb-gateway <argv>` in this process, as the executable does (main, then the exit code of a
 * failure), with `env` over the process environment for its duration and logs silenced unless the
 * test sets LOG_LEVEL. Returns what it wrote to stdout and stderr.
 */
export async function runMain(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<CommandLineResult> {
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries({ LOG_LEVEL: 'silent', ...env })) {
    saved.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const stdout: string[] = [];
  const stderr: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) =>
    stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) =>
    stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(argv).catch(reportFailure);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
