// Watches the machine's own PostgreSQL and RabbitMQ while `.ci/run` runs `npm test` and the fault
// suite, which must never stop, restart or block them (tests do that to engines they start). Prints
// what it saw and, on SIGTERM, exits 1 if either went away, restarted or blocked publishers.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import pg from 'pg';

export interface ServiceWatch {
  /** Ends the watch; resolves with what went wrong (empty when the server stayed up throughout). */
  stop(): Promise<string[]>;
}

/** Problems, each noted once, and a probe run every `intervalMs` one after the other. */
function watch(intervalMs: number, probe: (note: (problem: string) => void) => Promise<void>) {
  const problems: string[] = [];
  const note = (problem: string) => {
    if (!problems.includes(problem)) problems.push(problem);
  };
  // A probe never rejects: a failure is a problem noted, and the next probe still runs.
  const run = () => probe(note).catch((error: unknown) => note(`probe failed: ${String(error)}`));
  let probing = Promise.resolve();
  const timer = setInterval(() => {
    probing = probing.then(run, run);
  }, intervalMs);
  return {
    problems,
    note,
    end: async () => {
      clearInterval(timer);
      await within(probing, 15_000);
    },
  };
}

const NAME = 'wsb-ci watch';

async function postmasterStarted(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, application_name: NAME });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string }>('select pg_postmaster_start_time()::text as t');
    return String(rows[0]?.t);
  } finally {
    await client.end();
  }
}

/**
 * Holds a PostgreSQL session for the whole watch, asked `select 1` every `intervalMs`: the session
 * lost, a query failing, or another `pg_postmaster_start_time()` at the end is a problem.
 */
export async function watchPostgres(url: string, intervalMs = 2_000): Promise<ServiceWatch> {
  const startedBefore = await postmasterStarted(url);
  const session = new pg.Client({ connectionString: url, application_name: NAME });
  await session.connect();
  let ending = false;
  const w = watch(intervalMs, async (note) => {
    await session.query('select 1').then(
      () => undefined,
      (error: Error) => note(`PostgreSQL query failed: ${error.message}`),
    );
  });
  session.on('error', (error) => w.note(`PostgreSQL session lost: ${error.message}`));
  session.on('end', () => ending || w.note('PostgreSQL session ended'));
  return {
    stop: async () => {
      await w.end();
      const startedAfter = await postmasterStarted(url).catch(
        (error: Error) => `unreachable (${error.message})`,
      );
      if (startedAfter !== startedBefore) {
        w.note(`PostgreSQL restarted: started ${startedBefore} before, ${startedAfter} after`);
      }
      ending = true;
      await within(session.end(), 5_000);
      return w.problems;
    },
  };
}

/**
 * Holds an AMQP connection for the whole watch, publishing one unroutable message with a confirm
 * every `intervalMs` (so that the broker tells it `connection.blocked` under an alarm): the
 * connection lost, a block, or a publish refused or left unconfirmed is a problem.
 * `describeNode`, when given, names the broker's process at the start and the end.
 */
export async function watchRabbitMq(
  url: string,
  intervalMs = 2_000,
  describeNode?: () => Promise<string>,
): Promise<ServiceWatch> {
  const nodeBefore = await describeNode?.();
  const connection = await connect(url, { clientProperties: { connection_name: NAME } });
  const channel = await connection.createConfirmChannel();
  let ending = false;
  const w = watch(intervalMs, async (note) => {
    const confirmed = new Promise<void>((resolve) => {
      try {
        channel.publish('', 'wsb-ci-watch-nowhere', Buffer.from('probe'), {}, (error) => {
          if (error !== null && error !== undefined) note(`RabbitMQ refused a publish: ${String(error)}`);
          resolve();
        });
      } catch (error) {
        note(`RabbitMQ publish failed: ${String(error)}`);
        resolve();
      }
    });
    if (!(await within(confirmed, 10_000))) note('RabbitMQ left a publish unconfirmed for 10 s');
  });
  connection.on('error', (error: Error) => w.note(`RabbitMQ connection error: ${error.message}`));
  connection.on('close', () => ending || w.note('RabbitMQ connection closed'));
  connection.on('blocked', (reason: string) => w.note(`RabbitMQ blocked publishers: ${reason}`));
  channel.on('error', (error: Error) => w.note(`RabbitMQ channel error: ${error.message}`));
  return {
    stop: async () => {
      await w.end();
      const nodeAfter = await describeNode?.().catch((error: Error) => `unreachable (${error.message})`);
      if (nodeAfter !== nodeBefore) w.note(`RabbitMQ node changed: ${nodeBefore} before, ${nodeAfter} after`);
      ending = true;
      await within(
        channel.close().then(() => connection.close()),
        5_000,
      ).catch(() => undefined);
      return w.problems;
    },
  };
}

/** Whether `work` settled (fulfilled or rejected) within `ms`; it is not cancelled. */
function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = work.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}

/** The machine's RabbitMQ node: its Erlang VM's OS pid (a restart changes it). */
async function rabbitNode(): Promise<string> {
  const { stdout } = await promisify(execFile)('rabbitmqctl', ['-q', 'eval', 'os:getpid().'], {
    timeout: 60_000,
  });
  return `pid ${stdout.trim().replace(/"/g, '')}`;
}

if (require.main === module) {
  const started = new Date();
  void Promise.all([
    watchPostgres(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
    watchRabbitMq(process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672', 2_000, rabbitNode),
  ]).then((watches) => {
    process.stdout.write(`watch-machine-services: watching from ${started.toISOString()}\n`);
    process.once('SIGTERM', () => {
      void Promise.all(watches.map((w) => w.stop())).then((results) => {
        const problems = results.flat();
        const span = `${started.toISOString()} to ${new Date().toISOString()}`;
        if (problems.length === 0) {
          process.stdout.write(`watch-machine-services: PostgreSQL and RabbitMQ stayed up, ${span}\n`);
          process.exit(0);
        }
        process.stdout.write(`watch-machine-services: the machine's servers were disturbed, ${span}:\n`);
        for (const problem of problems) process.stdout.write(`  - ${problem}\n`);
        process.exit(1);
      });
    });
  });
}
