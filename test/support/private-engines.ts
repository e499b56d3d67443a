import { execFile, spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { progress, sleep, until } from './waiting';

/**
 * Engines of a test's own — a RabbitMQ node or cluster, a PostgreSQL server or a primary with a
 * streaming standby — on loopback ports and in temporary folders, from the machine's Debian
 * packages. A test that stops, restarts or blocks a server does it to one of these: they leave the
 * machine's own RabbitMQ and PostgreSQL alone, and are stopped by PID.
 */
const run = promisify(execFile);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free base port in [from, from + span), with `base + offset` free too for every offset (a
 * RabbitMQ node's distribution port, a standby's port): picked at random, so that two test runs on
 * one machine do not collide.
 */
export async function freePorts(from: number, span: number, offsets: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * span);
    const ports = [base, ...offsets.map((o) => base + o)];
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return base;
  }
  throw new Error(`no free ports in ${from}–${from + span}`);
}

async function killTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const children = await run('pgrep', ['-P', String(pid)]).then(
    ({ stdout }) =>
      stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map(Number),
    () => [] as number[],
  );
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
  for (const child of children) await killTree(child, signal);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// --- RabbitMQ ------------------------------------------------------------------------------------

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';

export interface RabbitNode {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly directory: string;
  pid: number;
}

/**
 * A RabbitMQ cluster of `size` nodes named `wsbfN<tag>@localhost` (a single private broker with
 * `size` 1). All nodes share a private HOME (its own Erlang cookie), a config file with only their
 * listener, and no plugins. Node i listens on `basePort + i`, its distribution on `basePort + 100 + i`.
 */
export class RabbitCluster {
  private constructor(
    readonly nodes: RabbitNode[],
    private readonly home: string,
    private readonly root: string,
  ) {}

  static async start(size: number, basePort: number): Promise<RabbitCluster> {
    const root = await mkdtemp(path.join(tmpdir(), 'wsb-rabbit-'));
    const home = path.join(root, 'home');
    await mkdir(home);
    await writeFile(path.join(home, '.erlang.cookie'), `WSBFAULTS${basePort}`);
    await chmod(path.join(home, '.erlang.cookie'), 0o400);
    await writeFile(path.join(root, 'enabled_plugins'), '[].');
    const tag = `${basePort.toString(36)}p${process.pid.toString(36)}`;
    const nodes: RabbitNode[] = Array.from({ length: size }, (_, i) => ({
      name: `wsbf${i + 1}${tag}@localhost`,
      port: basePort + i,
      url: `amqp://guest:guest@127.0.0.1:${basePort + i}`,
      directory: path.join(root, `n${i + 1}`),
      pid: 0,
    }));
    const cluster = new RabbitCluster(nodes, home, root);
    progress(`rabbitmq cluster: starting ${size} nodes on ports ${basePort}–${basePort + size - 1}`);
    await Promise.all(nodes.map((node) => cluster.startNode(node)));
    const [first, ...others] = nodes;
    if (first === undefined) throw new Error('a cluster needs a node');
    for (const node of others) {
      await cluster.ctl(node, 'stop_app');
      await cluster.ctl(node, 'join_cluster', first.name);
      await cluster.ctl(node, 'start_app');
    }
    const { stdout } = await cluster.ctl(first, 'cluster_status', '--formatter', 'json');
    const running = (JSON.parse(stdout) as { running_nodes: string[] }).running_nodes;
    if (running.length !== size) throw new Error(`cluster formed with ${running.length} of ${size} nodes`);
    progress(`rabbitmq cluster: ${running.join(', ')} running`);
    return cluster;
  }

  /** A single private broker on free ports from `fromPort` on (random within 100). */
  static async single(fromPort = 27_000): Promise<RabbitCluster> {
    return RabbitCluster.start(1, await freePorts(fromPort, 100, [100]));
  }

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  private env(node: RabbitNode): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HOME: this.home,
      RABBITMQ_NODENAME: node.name,
      RABBITMQ_NODE_PORT: String(node.port),
      RABBITMQ_DIST_PORT: String(node.port + 100),
      RABBITMQ_MNESIA_BASE: path.join(node.directory, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(node.directory, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(this.root, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: path.join(node.directory, 'rabbitmq.conf'),
      RABBITMQ_PID_FILE: path.join(node.directory, 'pid'),
      RABBITMQ_CONF_ENV_FILE: '/dev/null',
    };
  }

  async startNode(node: RabbitNode): Promise<void> {
    await mkdir(node.directory, { recursive: true });
    await writeFile(
      path.join(node.directory, 'rabbitmq.conf'),
      `listeners.tcp.default = 127.0.0.1:${node.port}\nloopback_users = none\n`,
    );
    await rm(path.join(node.directory, 'pid'), { force: true });
    const child = spawn(path.join(RABBIT_BIN, 'rabbitmq-server'), [], {
      env: this.env(node),
      stdio: 'ignore',
      detached: true,
    });
    child.unref();
    await this.ctl(node, 'wait', path.join(node.directory, 'pid'), '--timeout', '180');
    node.pid = Number((await readFile(path.join(node.directory, 'pid'), 'utf8')).trim());
  }

  ctl(node: RabbitNode, ...args: string[]): Promise<{ stdout: string }> {
    return run(path.join(RABBIT_BIN, 'rabbitmqctl'), ['-n', node.name, ...args], {
      env: this.env(node),
      timeout: 180_000,
    });
  }

  /** The node that leads a quorum queue, as the cluster reports it. */
  async leaderOf(queue: string, askVia: RabbitNode): Promise<RabbitNode> {
    const { stdout } = await this.ctl(askVia, 'list_queues', 'name', 'leader', '--formatter', 'json');
    const row = (JSON.parse(stdout) as Array<{ name: string; leader: string }>).find((q) => q.name === queue);
    const leader = this.nodes.find((n) => n.name === row?.leader);
    if (leader === undefined) throw new Error(`no leader found for ${queue}`);
    return leader;
  }

  /** The node a client's connection (by its connection name) is attached to. */
  async nodeOfConnection(connectionName: string): Promise<RabbitNode | undefined> {
    for (const node of this.nodes) {
      if (!alive(node.pid)) continue;
      const { stdout } = await this.ctl(
        node,
        'list_connections',
        'name',
        'client_properties',
        '--formatter',
        'json',
      ).catch(() => ({ stdout: '[]' }));
      // Connections of every node are listed by any node; the local port says which node has it.
      const rows = JSON.parse(stdout) as Array<{ name: string; client_properties: unknown }>;
      const row = rows.find((r) => JSON.stringify(r.client_properties).includes(connectionName));
      if (row === undefined) continue;
      const port = /-> 127\.0\.0\.1:(\d+)/.exec(row.name)?.[1];
      return this.nodes.find((n) => String(n.port) === port);
    }
    return undefined;
  }

  /** The first node (the only one of a single broker). */
  get first(): RabbitNode {
    const [node] = this.nodes;
    if (node === undefined) throw new Error('a cluster needs a node');
    return node;
  }

  /** Stops the node's application (the broker goes away, the Erlang node stays) for `work`. */
  async withAppStopped<T>(work: () => Promise<T>, node = this.first): Promise<T> {
    try {
      progress(`rabbitmqctl stop_app on ${node.name}`);
      await this.ctl(node, 'stop_app');
      progress('broker stopped');
      return await work();
    } finally {
      progress(`rabbitmqctl start_app on ${node.name}`);
      await this.ctl(node, 'start_app');
      progress('broker started');
    }
  }

  /** A memory alarm on the node for `work`: it blocks publishers (connection.blocked). */
  async withMemoryAlarm<T>(work: () => Promise<T>, node = this.first): Promise<T> {
    try {
      await this.ctl(node, 'set_vm_memory_high_watermark', '0.0000001');
      return await work();
    } finally {
      await this.ctl(node, 'set_vm_memory_high_watermark', '0.4');
    }
  }

  kill(node: RabbitNode): Promise<void> {
    progress(`SIGKILL rabbitmq node ${node.name} (pid ${node.pid})`);
    return killTree(node.pid);
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) if (node.pid !== 0) await killTree(node.pid);
    await rm(this.root, { recursive: true, force: true });
  }
}

// --- PostgreSQL ----------------------------------------------------------------------------------

async function postgresBin(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  return path.join('/usr/lib/postgresql', versions[0] ?? '15', 'bin');
}

/** Runs a PostgreSQL server tool as the postgres user (initdb and postgres refuse root). */
async function asPostgres(bin: string, tool: string, args: string[]): Promise<{ stdout: string }> {
  return run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { timeout: 180_000 });
}

export interface PostgresServer {
  readonly port: number;
  readonly directory: string;
  readonly url: string;
}

/**
 * A PostgreSQL primary and a streaming standby made with pg_basebackup. With `synchronous`, the
 * primary lists the standby in synchronous_standby_names, so a commit is acknowledged only once
 * the standby has it.
 */
export class PostgresPair {
  private constructor(
    private readonly bin: string,
    private readonly root: string,
    readonly primary: PostgresServer,
    readonly standby: PostgresServer,
  ) {}

  /**
   * `replicationPort`: where the standby reaches the primary — the primary's own port, or a TCP
   * proxy in front of it, to make the standby lag on purpose.
   */
  static async start(
    basePort: number,
    synchronous: boolean,
    replicationPort = basePort,
  ): Promise<PostgresPair> {
    const bin = await postgresBin();
    const root = await privateRoot();
    const standby = serverIn(root, basePort + 1, 'standby');
    progress(
      `postgres: primary on ${basePort}, ${synchronous ? 'synchronous' : 'asynchronous'} standby on ${standby.port}`,
    );
    const primary = await initServer(bin, root, basePort, 'primary', [
      'wal_level = replica',
      'max_wal_senders = 5',
      synchronous ? "synchronous_standby_names = 'standby1'" : "synchronous_standby_names = ''",
    ]);
    await asPostgres(bin, 'pg_basebackup', [
      '-D',
      standby.directory,
      '-R',
      '-X',
      'stream',
      '-d',
      `host=127.0.0.1 port=${replicationPort} user=postgres application_name=standby1`,
    ]);
    const auto = path.join(standby.directory, 'postgresql.auto.conf');
    const conf = (await readFile(auto, 'utf8')).replace(/^port = .*$/m, '');
    await writeFile(auto, `${conf}\nport = ${standby.port}\n`);
    await chown(auto, ...(await postgresIds()));
    await startServer(bin, standby, path.join(root, 'standby.log'));
    const pair = new PostgresPair(bin, root, primary, standby);
    await until(
      async () => {
        const { stdout } = await psql(bin, primary, [
          '-Atc',
          "select count(*) from pg_stat_replication where state = 'streaming'",
        ]);
        return stdout.trim() === '1';
      },
      60_000,
      'the standby to stream',
    );
    progress('postgres: standby streaming');
    return pair;
  }

  pidOf(server: PostgresServer): Promise<number> {
    return postmasterPid(server);
  }

  /** A crash: the postmaster and every backend SIGKILLed at once. */
  async killPrimary(): Promise<void> {
    const pid = await this.pidOf(this.primary);
    progress(`SIGKILL postgres primary (postmaster ${pid} and its backends)`);
    await killTree(pid);
  }

  /**
   * Promotes the standby. It inherited the primary's synchronous_standby_names, and as a primary
   * with no standby of its own it would make every COMMIT wait forever (seen: intake hung in
   * SyncRep). A failover manager (Patroni's synchronous_mode) clears it; so does this.
   */
  async promoteStandby(): Promise<void> {
    await asPostgres(this.bin, 'pg_ctl', ['-D', this.standby.directory, '-w', 'promote']);
    await psql(this.bin, this.standby, [
      '-c',
      "alter system set synchronous_standby_names = ''",
      '-c',
      'select pg_reload_conf()',
    ]);
    progress('postgres: standby promoted');
  }

  stop(): Promise<void> {
    return stopServers(this.root, [this.primary, this.standby]);
  }
}

/** One PostgreSQL server of a test's own, with `url` ready for createTestDatabase. */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly root: string,
    readonly server: PostgresServer,
  ) {}

  /** On a free port from `fromPort` on (random within 200). */
  static async start(fromPort = 26_700): Promise<PrivatePostgres> {
    const bin = await postgresBin();
    const root = await privateRoot();
    const port = await freePorts(fromPort, 200, []);
    progress(`postgres: private server on ${port}`);
    return new PrivatePostgres(bin, root, await initServer(bin, root, port, 'data', []));
  }

  get url(): string {
    return this.server.url;
  }

  private get log(): string {
    return path.join(this.root, 'data.log');
  }

  /** `pg_ctl restart -m fast` of this server only (its own data folder). */
  async restart(): Promise<void> {
    try {
      // With its log file: without -l the server would write to pg_ctl's stdout, which it then
      // holds open, and the call would wait for it until its timeout.
      await asPostgres(this.bin, 'pg_ctl', [
        '-D',
        this.server.directory,
        '-w',
        '-m',
        'fast',
        '-l',
        this.log,
        'restart',
      ]);
    } finally {
      // Whatever the restart did, leave the server running.
      const running = await asPostgres(this.bin, 'pg_ctl', ['-D', this.server.directory, 'status']).then(
        () => true,
        () => false,
      );
      if (!running) await startServer(this.bin, this.server, this.log);
    }
  }

  stop(): Promise<void> {
    return stopServers(this.root, [this.server]);
  }
}

async function privateRoot(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'wsb-pg-'));
  await chown(root, ...(await postgresIds()));
  return root;
}

function serverIn(root: string, port: number, name: string): PostgresServer {
  return { port, directory: path.join(root, name), url: `postgres://postgres@127.0.0.1:${port}/postgres` };
}

/** initdb, the settings (port, loopback only, sockets in `root`, plus `settings`), and start. */
async function initServer(
  bin: string,
  root: string,
  port: number,
  name: string,
  settings: readonly string[],
): Promise<PostgresServer> {
  const server = serverIn(root, port, name);
  await asPostgres(bin, 'initdb', ['-D', server.directory, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  await writeFile(
    path.join(server.directory, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${root}'`,
      'max_connections = 100',
      'fsync = on',
      ...settings,
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(server.directory, 'pg_hba.conf'),
    'local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n',
  );
  await chown(path.join(server.directory, 'postgresql.auto.conf'), ...(await postgresIds()));
  await startServer(bin, server, path.join(root, `${name}.log`));
  return server;
}

async function postmasterPid(server: PostgresServer): Promise<number> {
  return Number((await readFile(path.join(server.directory, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

/** SIGKILLs each server's postmaster and its backends (by the PID in its own data folder). */
async function stopServers(root: string, servers: readonly PostgresServer[]): Promise<void> {
  for (const server of servers) {
    const pid = await postmasterPid(server).catch(() => 0);
    if (pid > 0) await killTree(pid);
  }
  await sleep(200);
  await rm(root, { recursive: true, force: true });
}

function startServer(bin: string, server: PostgresServer, logFile: string): Promise<{ stdout: string }> {
  return asPostgres(bin, 'pg_ctl', ['-D', server.directory, '-w', '-l', logFile, 'start']);
}

function psql(bin: string, server: PostgresServer, args: string[]): Promise<{ stdout: string }> {
  return asPostgres(bin, 'psql', ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres', ...args]);
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: group } = await run('id', ['-g', 'postgres']);
  return [Number(stdout.trim()), Number(group.trim())];
}

// --- For a suite ---------------------------------------------------------------------------------

/**
 * Starts an engine of the suite's own before its tests and stops it after them; the returned
 * function gives the running engine to a test.
 */
function suiteEngine<T extends { stop(): Promise<void> }>(start: () => Promise<T>): () => T {
  let engine: T | undefined;
  before(async function () {
    this.timeout(600_000);
    engine = await start();
  });
  after(async function () {
    this.timeout(120_000);
    await engine?.stop();
  });
  return () => {
    if (engine === undefined) throw new Error('the private engine did not start');
    return engine;
  };
}

/** A single-node RabbitMQ of the suite's own, for a test that stops or blocks the broker. */
export function privateBroker(): () => RabbitCluster {
  return suiteEngine(() => RabbitCluster.single());
}

/** A PostgreSQL server of the suite's own, for a test that restarts it. */
export function privatePostgres(): () => PrivatePostgres {
  return suiteEngine(() => PrivatePostgres.start());
}
