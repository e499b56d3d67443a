import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Channel, type ChannelModel, connect, type ConsumeMessage } from 'amqplib';
import { expect } from 'chai';
import { sql } from 'kysely';
import { FICTITIOUS_CPR, ordningsnotifikation } from '../../support/fixtures';
import { type GatewayProcess, startGateway } from '../../support/gateway-process';
import { ORDNINGS_PATH } from '../../support/intake';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { deleteTopology, TEST_AMQP_URL, uniqueName, withChannel } from '../../support/rabbitmq';
import { TEST_AUDIENCE, TEST_ISSUER, TestIdentityProvider } from '../../support/tokens';
import { progress, sleep, until } from '../../support/waiting';

export { progress, sleep, until } from '../../support/waiting';

/** Resident set size and its peak (kB → bytes) of a process, from /proc. */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A consumer on the scenario's own queue, manual acks, that reconnects after a broker outage.
 * Messages delivered but not acked before a connection loss come again (redelivered).
 */
/**
 * What the ledger needs of a received message, taken at receipt: a soak holds hundreds of
 * thousands, and keeping their bodies made the test process's own GC pauses show up as latency.
 */
export interface Received {
  readonly requestId: string;
  readonly messageId: string;
  /** From `vitasDybtLink` (`…/sag/<entity>/<seq>`), when the body is one of the harness's. */
  readonly entity?: number;
  readonly seq?: number;
}

const LINK = /^https:\/\/vitas\.example\/sag\/(\d+)\/(\d+)$/;

export function received(message: ConsumeMessage): Received {
  const requestId = String(message.properties.correlationId);
  const messageId = String(message.properties.messageId);
  let body: { ordningsnotifikation?: { body?: { vitasDybtLink?: string } } } = {};
  try {
    body = JSON.parse(message.content.toString('utf8')) as typeof body;
  } catch {
    // not one of ours: counted by its ids only
  }
  const match = LINK.exec(body.ordningsnotifikation?.body?.vitasDybtLink ?? '');
  return match === null
    ? { requestId, messageId }
    : { requestId, messageId, entity: Number(match[1]), seq: Number(match[2]) };
}

export class ResilientConsumer {
  readonly messages: Received[] = [];
  private connection: ChannelModel | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  private attempt = 0;

  /** `urls`: the broker, or a cluster's nodes, tried in turn. */
  constructor(
    private readonly queue: string,
    private readonly urls: readonly string[] = [TEST_AMQP_URL],
  ) {}

  async start(): Promise<void> {
    await this.connectOnce();
    this.loop = this.reconnectLoop();
  }

  /** Connects and consumes; `closed` settles when this connection is lost. */
  private async connectOnce(): Promise<void> {
    const url = this.urls[this.attempt++ % this.urls.length] ?? TEST_AMQP_URL;
    const connection = await connect(url);
    this.connection = connection;
    const closed = new Promise<void>((resolve) => connection.on('close', () => resolve()));
    connection.on('error', () => undefined);
    const channel: Channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.prefetch(500);
    await channel.consume(
      this.queue,
      (message) => {
        if (message === null) return;
        this.messages.push(received(message));
        channel.ack(message);
      },
      { noAck: false },
    );
    this.closed = closed;
  }

  private closed: Promise<void> = Promise.resolve();

  private async reconnectLoop(): Promise<void> {
    while (!this.stopped) {
      await this.closed;
      while (!this.stopped) {
        await sleep(500);
        if (this.stopped) return;
        try {
          await this.connectOnce();
          break;
        } catch {
          // broker still down
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.connection?.close().catch(() => undefined);
    await Promise.race([this.loop, sleep(2000)]);
  }
}

export type Outcome = number | 'timeout' | 'error';

interface Sent {
  readonly requestId: string;
  readonly entity: number;
  readonly seq: number;
  readonly sentAt: number;
  /** The final answer, after any retries. */
  outcome?: Outcome;
  answeredAt?: number;
  /** Every answer in order, retries included (absent where a scenario sends once). */
  attempts?: Outcome[];
}

/** What a client such as VITAS retries with the same x-requestId: 503, no answer, a broken connection. */
export function isRetryable(outcome: Outcome | undefined): boolean {
  return outcome === 503 || outcome === 'timeout' || outcome === 'error';
}

/**
 * Accepted as a client counts it: 200, or 412 to a retry after an answer that left it in doubt
 * (the earlier try was stored after all; 412 then means "already accepted").
 */
export function isAccepted(sent: Sent): boolean {
  if (sent.outcome === 200) return true;
  return sent.outcome === 412 && (sent.attempts ?? []).slice(0, -1).some(isRetryable);
}

export interface ScenarioCounts {
  readonly sent: number;
  readonly accepted: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly orderViolations: number;
  /** Received messages whose requestId was never answered 200. */
  readonly unexpected: number;
  /** One requestId published under two messageIds. */
  readonly idMismatches: number;
  readonly statuses: Readonly<Record<string, number>>;
}

/** Entity i's eksternIdentifier: a fixed, obviously synthetic uuid. */
export function entityUuid(runTag: number, entity: number): string {
  return `00000000-${runTag.toString(16).padStart(4, '0').slice(-4)}-4000-8000-${entity.toString().padStart(12, '0')}`;
}

/**
 * Every requestId from its HTTP answer to a consumer's receipt. The per-entity sequence number is
 * embedded in `vitasDybtLink` (`…/sag/<entity>/<seq>`); an entity's requests are sent one after
 * the other (each waits for the previous answer), so acceptance order is seq order.
 */
export class Ledger {
  readonly sent: Sent[] = [];
  private readonly byRequestId = new Map<string, Sent>();

  record(entry: Sent): void {
    this.sent.push(entry);
    this.byRequestId.set(entry.requestId, entry);
  }

  get acceptedIds(): Set<string> {
    return new Set(this.sent.filter(isAccepted).map((s) => s.requestId));
  }

  /** Final answers. */
  statuses(): Record<string, number> {
    return tally(this.sent.map((s) => s.outcome));
  }

  /** Every answer, retries included. */
  attemptStatuses(): Record<string, number> {
    return tally(this.sent.flatMap((s) => s.attempts ?? [s.outcome]));
  }

  /** Requests that a retry found already accepted (412 after a 503, a timeout or an error). */
  get acceptedOnRetry(): number {
    return this.sent.filter((s) => s.outcome === 412 && isAccepted(s)).length;
  }

  /** Counts what the consumer received against what was accepted. */
  check(messages: readonly Received[]): ScenarioCounts {
    const accepted = this.acceptedIds;
    const seenMessageIds = new Set<string>();
    const messageIdOf = new Map<string, string>();
    const lastSeq = new Map<number, number>();
    const delivered = new Set<string>();
    let duplicates = 0;
    let orderViolations = 0;
    let unexpected = 0;
    let idMismatches = 0;
    for (const message of messages) {
      const { requestId, messageId } = message;
      if (seenMessageIds.has(messageId)) {
        duplicates++;
        continue;
      }
      seenMessageIds.add(messageId);
      const previousId = messageIdOf.get(requestId);
      if (previousId !== undefined && previousId !== messageId) idMismatches++;
      messageIdOf.set(requestId, messageId);
      if (!accepted.has(requestId)) {
        unexpected++;
        if (unexpected <= 3) progress(`unexpected message, correlationId ${JSON.stringify(requestId)}`);
      } else delivered.add(requestId);
      const { entity, seq } = message;
      if (entity === undefined || seq === undefined) continue;
      const last = lastSeq.get(entity) ?? -1;
      if (seq < last) orderViolations++;
      lastSeq.set(entity, Math.max(last, seq));
    }
    const lost = [...accepted].filter((id) => !delivered.has(id));
    if (lost.length > 0)
      progress(
        `lost: ${lost
          .slice(0, 3)
          .map((id) => JSON.stringify(id))
          .join(', ')}`,
      );
    return {
      sent: this.sent.length,
      accepted: accepted.size,
      delivered: delivered.size,
      lost: accepted.size - delivered.size,
      duplicates,
      orderViolations,
      unexpected,
      idMismatches,
      statuses: this.statuses(),
    };
  }
}

/** How often each value occurs; `undefined` counts as 'unanswered'. */
export function tally(outcomes: ReadonlyArray<Outcome | string | undefined>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = String(outcome ?? 'unanswered');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Prints the scenario's line and asserts what must hold. `allowLoss` only for a setup whose loss
 * is the finding (asynchronous replication): the loss is printed, not asserted.
 */
export function report(
  scenario: number,
  counts: ScenarioCounts,
  extra = '',
  { allowLoss = false } = {},
): void {
  const line =
    `scenario ${scenario}: sent ${counts.sent}, accepted ${counts.accepted}, delivered ${counts.delivered}, ` +
    `lost ${counts.lost}, duplicates ${counts.duplicates}, order violations ${counts.orderViolations}` +
    ` (statuses ${JSON.stringify(counts.statuses)}, unexpected ${counts.unexpected}${extra === '' ? '' : `, ${extra}`})`;
  process.stdout.write(`      ${line}\n`);
  if (!allowLoss) expect(counts.lost, 'lost').to.equal(0);
  expect(counts.orderViolations, 'order violations').to.equal(0);
  expect(counts.idMismatches, 'a requestId published under two messageIds').to.equal(0);
  expect(counts.unexpected, 'messages for requests never answered 200').to.equal(0);
}

export interface LoadOptions {
  readonly entities: number;
  readonly perEntity: number;
  /** Gateways to spread the requests over (request k of an entity goes to gateway k % n). */
  readonly baseUrls: readonly string[];
  readonly workers?: number;
  /** Overall requests per second; unlimited when absent. */
  readonly rate?: number;
  readonly clientTimeoutMs?: number;
  /** Retries of a 503, timeout or error with the same x-requestId, as VITAS makes them (default 10). */
  readonly retries?: number;
}

/**
 * A running scenario: its own database, exchange and queue, an identity provider whose JWKS the
 * gateways trust, processes it started, a consumer. `close()` undoes all of it.
 */
/** Where a scenario runs: by default the machine's own broker and database server. */
export interface ScenarioEngines {
  /** The broker, or a cluster's nodes (the gateway gets them as a comma-separated AMQP_URL). */
  readonly amqpUrls?: readonly string[];
  /** The PostgreSQL server the scenario's database is made on. */
  readonly postgresServerUrl?: string;
}

export class Scenario {
  readonly exchange = uniqueName('wsb.faults');
  readonly queue = uniqueName('wsb.faults.q');
  readonly ledger = new Ledger();
  readonly consumer: ResilientConsumer;
  readonly runTag = Math.floor(Math.random() * 0xffff);
  private readonly processes: GatewayProcess[] = [];
  private token = '';

  private constructor(
    readonly database: TestDatabase,
    private readonly idp: TestIdentityProvider,
    private readonly directory: string,
    readonly amqpUrls: readonly string[],
  ) {
    this.consumer = new ResilientConsumer(this.queue, amqpUrls);
  }

  static async create(name: string, engines: ScenarioEngines = {}): Promise<Scenario> {
    progress(`scenario ${name}: creating database, exchange, queue`);
    const database = await createTestDatabase(`wsb_faults_${name}`, engines.postgresServerUrl);
    progress('database created');
    const idp = await TestIdentityProvider.create();
    progress('key pair created');
    const directory = await mkdtemp(path.join(tmpdir(), 'wsb-faults-'));
    await writeFile(path.join(directory, 'jwks.json'), JSON.stringify(idp.jwks));
    const amqpUrls = engines.amqpUrls ?? [TEST_AMQP_URL];
    const scenario = new Scenario(database, idp, directory, amqpUrls);
    try {
      scenario.token = await idp.token({ expiresIn: '2h' });
      progress('token minted');
      await withChannel(async (channel) => {
        await channel.assertExchange(scenario.exchange, 'topic', { durable: true });
        await channel.assertQueue(scenario.queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
        await channel.bindQueue(scenario.queue, scenario.exchange, '#');
      }, amqpUrls[0]);
      await scenario.consumer.start();
    } catch (error) {
      // A broker that is down at set-up left every scenario's database behind (no close() followed).
      await scenario.consumer.stop().catch(() => undefined);
      await deleteTopology(scenario.exchange, [scenario.queue], amqpUrls[0]).catch(() => undefined);
      await database.drop().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
      throw error;
    }
    progress(`scenario ${name}: consumer started`);
    return scenario;
  }

  get bearer(): string {
    return this.token;
  }

  idpToken(options: Parameters<TestIdentityProvider['token']>[0]): Promise<string> {
    return this.idp.token(options);
  }

  private baseEnv(): Record<string, string> {
    return {
      DATABASE_URL: this.database.url,
      AMQP_URL: this.amqpUrls.join(','),
      AMQP_EXCHANGE: this.exchange,
      AMQP_QUEUES: `${this.queue}:#:quorum`,
      AMQP_APP_ID: 'wsb-gateway-faults',
      ADMIN_PORT: '0',
      HOST: '127.0.0.1',
      AUTH_JWKS_FILE: path.join(this.directory, 'jwks.json'),
      AUTH_ISSUER: TEST_ISSUER,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      AUTH_ALGORITHMS: 'RS256',
      DATA_DIR: this.directory,
      REDACTION_INTERVAL_SECONDS: '0',
    };
  }

  /** `wsb-gateway serve` as its own process; resolves with it and its base URL once it answers. */
  async startServe(env: Record<string, string> = {}): Promise<{ process: GatewayProcess; baseUrl: string }> {
    const port = await freePort();
    const gateway = startGateway(['serve'], {
      ...this.baseEnv(),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
    });
    this.processes.push(gateway);
    this.reportUnexpectedExit(gateway, 'serve');
    const baseUrl = `http://127.0.0.1:${port}`;
    await until(
      async () => {
        if (gateway.child.exitCode !== null) throw new Error(`serve exited with ${gateway.child.exitCode}`);
        return fetch(`${baseUrl}/health`).then(
          () => true,
          () => false,
        );
      },
      60_000,
      'serve to listen',
    );
    return { process: gateway, baseUrl };
  }

  /** `wsb-gateway relay` as its own process, with short retry and reconnect delays. */
  startRelay(env: Record<string, string> = {}): GatewayProcess {
    const relay = startGateway(['relay'], {
      ...this.baseEnv(),
      LOG_LEVEL: 'info',
      RELAY_RETRY_BASE_MS: '100',
      RELAY_RETRY_MAX_MS: '1000',
      AMQP_RECONNECT_BASE_MS: '200',
      AMQP_RECONNECT_MAX_MS: '1000',
      RELAY_CONFIRM_TIMEOUT_MS: '5000',
      ...env,
    });
    this.processes.push(relay);
    this.reportUnexpectedExit(relay, 'relay');
    return relay;
  }

  /** A process that dies by itself is a finding: say so, with the end of its stderr. */
  private reportUnexpectedExit(gateway: GatewayProcess, name: string): void {
    let stderr = '';
    gateway.child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    gateway.child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || signal === 'SIGTERM' || code === 0) return;
      progress(
        `${name} (pid ${gateway.child.pid}) exited by itself: code ${code}, signal ${signal}; stderr: ${stderr}`,
      );
      const errors = gateway.logLines.filter((l) => Number(l.level) >= 50).slice(-3);
      if (errors.length > 0) progress(`${name} last error logs: ${JSON.stringify(errors)}`);
    });
  }

  /** The body of request `seq` of entity `entity`. */
  body(entity: number, seq: number): unknown {
    return ordningsnotifikation(
      {
        eksternIdentifier: entityUuid(this.runTag, entity),
        erOprettelse: seq === 0,
        registreringsDato: new Date(Date.UTC(2025, 0, 1) + seq * 60_000).toISOString(),
      },
      { vitasDybtLink: `https://vitas.example/sag/${entity}/${seq}`, cprNummer: FICTITIOUS_CPR },
    );
  }

  async post(baseUrl: string, requestId: string, body: unknown, timeoutMs = 10_000): Promise<Outcome> {
    try {
      const response = await fetch(`${baseUrl}${ORDNINGS_PATH}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.token}`,
          'x-requestId': requestId,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer();
      return response.status;
    } catch (error) {
      return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
        ? 'timeout'
        : 'error';
    }
  }

  /**
   * Posts entities × perEntity requests. Each worker owns some entities and sends their requests
   * one after the other, so an entity never has two requests open at once.
   */
  async load(options: LoadOptions): Promise<void> {
    progress(`posting ${options.entities * options.perEntity} requests`);
    const workers = Math.min(options.workers ?? 32, options.entities);
    const started = performance.now();
    let ticket = 0;
    const worker = async (w: number) => {
      const mine: number[] = [];
      for (let e = w; e < options.entities; e += workers) mine.push(e);
      for (let seq = 0; seq < options.perEntity; seq++) {
        for (const entity of mine) {
          if (options.rate !== undefined) {
            const due = started + (ticket++ * 1000) / options.rate;
            const wait = due - performance.now();
            if (wait > 0) await sleep(wait);
          }
          const requestId = `f${this.runTag.toString(36)}-${entity}-${seq}`;
          const entry: Sent = { requestId, entity, seq, sentAt: performance.now() };
          this.ledger.record(entry);
          const baseUrl = options.baseUrls[seq % options.baseUrls.length] ?? '';
          const body = this.body(entity, seq);
          const attempts: Outcome[] = [];
          entry.attempts = attempts;
          attempts.push(await this.post(baseUrl, requestId, body, options.clientTimeoutMs));
          // A client's retries: the same x-requestId, capped exponential backoff with jitter.
          for (let retry = 0; isRetryable(attempts.at(-1)) && retry < (options.retries ?? 10); retry++) {
            await sleep(Math.min(100 * 2 ** retry, 3_000) * (0.5 + Math.random() / 2));
            attempts.push(await this.post(baseUrl, requestId, body, options.clientTimeoutMs));
          }
          entry.outcome = attempts.at(-1);
          entry.answeredAt = performance.now();
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
    progress(
      `posted: final ${JSON.stringify(this.ledger.statuses())}, every try ${JSON.stringify(this.ledger.attemptStatuses())}`,
    );
  }

  async outboxCounts(): Promise<{ total: number; pending: number; delivered: number }> {
    const { rows } = await sql<{ total: string; pending: string; delivered: string }>`
      select (select count(*) from outbox) as total,
             (select count(*) from outbox_pending where not parked) as pending,
             (select count(*) from outbox_delivery) as delivered`.execute(this.database.db);
    return {
      total: Number(rows[0]?.total),
      pending: Number(rows[0]?.pending),
      delivered: Number(rows[0]?.delivered),
    };
  }

  /** Waits until the consumer holds every accepted requestId, then counts. */
  async settle(timeoutMs = Number(process.env.FAULTS_SETTLE_MS ?? 180_000)): Promise<ScenarioCounts> {
    const accepted = this.ledger.acceptedIds;
    progress(`waiting for ${accepted.size} accepted messages at the consumer`);
    await until(
      () => {
        const received = new Set(this.consumer.messages.map((m) => m.requestId));
        for (const id of accepted) if (!received.has(id)) return false;
        return true;
      },
      timeoutMs,
      `${accepted.size} accepted messages at the consumer`,
    ).catch((error: unknown) => {
      process.stdout.write(`      ${(error as Error).message}\n`);
    });
    progress(`consumer holds ${this.consumer.messages.length} messages`);
    return this.ledger.check(this.consumer.messages);
  }

  async close(): Promise<void> {
    for (const p of this.processes.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) await p.stop('SIGKILL');
    }
    await this.consumer.stop();
    await deleteTopology(this.exchange, [this.queue], this.amqpUrls[0]);
    await this.database.drop().catch(() => undefined);
    await rm(this.directory, { recursive: true, force: true });
  }
}

/**
 * The preamble every scenario suite shares: the suite's time budget, and a function that creates
 * the Scenario of one test and has it closed after that test, whatever the test did.
 */
export function scenarios(
  suite: Mocha.Suite,
  timeoutMs = 600_000,
): (name: string, engines?: ScenarioEngines) => Promise<Scenario> {
  suite.timeout(timeoutMs);
  let current: Scenario | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (name, engines) => (current = await Scenario.create(name, engines));
}
