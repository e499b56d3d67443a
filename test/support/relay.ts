import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Kysely } from 'kysely';
import pino from 'pino';
import type { QueueSpec } from '../../src/adapters/rabbitmq/topology';
import { abortableSleep } from '../../src/application/abortable-sleep';
import type { Database } from '../../src/adapters/postgres/database';
import { RelayOutbox, type RelaySettings } from '../../src/application/relay/relay-outbox';
import type { OpenTelemetryTracing } from '../../src/adapters/tracing/opentelemetry-tracing';
import type { Clock } from '../../src/application/clock';
import {
  type MessagePublisher,
  type OutboxRelayStore,
  type OutboxWakeUp,
  type RelayObserver,
  silentRelayObserver,
} from '../../src/application/relay/ports';
import { loadConfiguration } from '../../src/composition/configuration';
import { closeContainer, createContainer } from '../../src/composition/container';
import { TOKENS } from '../../src/composition/tokens';
import { TEST_AMQP_URL } from './rabbitmq';

/** A wake-up by polling only: waits out the timeout (or the abort); production LISTENs. */
export const pollingWakeUp: OutboxWakeUp = {
  wait: (timeoutMs, signal) => abortableSleep(timeoutMs, signal),
};

export interface RunningRelay {
  readonly publisher: MessagePublisher;
  stop(): Promise<void>;
}

export const FAST_RELAY: RelaySettings = {
  batchSize: 500,
  inFlightBatches: 3,
  idlePollMs: 10,
  retryBaseMs: 50,
  retryMaxMs: 300,
  chainLength: 128,
  claimMaxRows: 4000,
};

/**
 * The relay in this process as `wsb-gateway relay` wires it (the production container), on the
 * given database, publishing to `exchange`; the pool, wake-up and observer are the test's.
 */
export async function startRelayInProcess(options: {
  db: Kysely<Database>;
  exchange: string;
  queues: readonly QueueSpec[];
  settings?: Partial<RelaySettings>;
  wakeUp?: OutboxWakeUp;
  observer?: RelayObserver;
  confirmTimeoutMs?: number;
  /** Spans for claims and publishes, as `relay` makes them with OTEL_EXPORTER_OTLP_ENDPOINT set. */
  tracing?: OpenTelemetryTracing;
  /** Stands between the relay and the real publisher (e.g. to make the broker nack one message). */
  wrapPublisher?: (publisher: MessagePublisher) => MessagePublisher;
  /** The broker (default TEST_AMQP_URL): a private one for a test that stops it. */
  amqpUrl?: string;
}): Promise<RunningRelay> {
  const settings = { ...FAST_RELAY, ...options.settings };
  const base = loadConfiguration(
    // The pool is the test's; the database server is never reached.
    {
      DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
      AMQP_URL: options.amqpUrl ?? TEST_AMQP_URL,
      REDACTION_INTERVAL_SECONDS: '0',
    },
    { servesHttp: false },
  );
  const config = {
    ...base,
    amqpExchange: options.exchange,
    amqpQueues: options.queues,
    appId: 'wsb-gateway-test',
    relay: {
      ...base.relay,
      batchSize: settings.batchSize,
      inFlightBatches: settings.inFlightBatches,
      idlePollMs: settings.idlePollMs,
      retryBaseMs: settings.retryBaseMs,
      retryMaxMs: settings.retryMaxMs,
      chainLength: settings.chainLength ?? base.relay.chainLength,
      claimMaxRows: settings.claimMaxRows ?? base.relay.claimMaxRows,
      confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
      reconnectBaseMs: 100,
      reconnectMaxMs: 1000,
    },
  };
  const container = createContainer('relay', config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  container.rebind(TOKENS.RelayDatabase).toConstantValue(options.db);
  const wakeUp = options.wakeUp ?? pollingWakeUp;
  container.rebind(TOKENS.OutboxWakeUp).toConstantValue({
    wait: (timeoutMs, signal) => wakeUp.wait(timeoutMs, signal),
    stop: () => Promise.resolve(),
  });
  container.rebind(TOKENS.RelayObserver).toConstantValue(options.observer ?? silentRelayObserver);
  container.rebind(TOKENS.Tracing).toConstantValue({ exporter: options.tracing });
  const wrap = options.wrapPublisher;
  if (wrap !== undefined)
    container
      .rebind(TOKENS.RelayOutbox)
      .toResolvedValue(
        (
          store: OutboxRelayStore,
          publisher: MessagePublisher,
          wakeUpPort: OutboxWakeUp,
          clock: Clock,
          observer: RelayObserver,
        ) => new RelayOutbox(store, wrap(publisher), wakeUpPort, clock, observer, settings),
        [
          TOKENS.OutboxRelayStore,
          TOKENS.MessagePublisher,
          TOKENS.OutboxWakeUp,
          TOKENS.Clock,
          TOKENS.RelayObserver,
        ],
      )
      .inSingletonScope();
  const publisher = await container.getAsync(TOKENS.MessagePublisher);
  await container.getAsync(TOKENS.RelayService);
  return { publisher, stop: () => closeContainer(container) };
}

const MAIN = path.resolve(__dirname, '../../src/main.ts');

/** `wsb-gateway relay` as a child process (node --import tsx src/main.ts relay). */
export function spawnRelay(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'relay'], {
    env: {
      ...process.env,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      RELAY_RETRY_BASE_MS: '50',
      RELAY_RETRY_MAX_MS: '500',
      AMQP_RECONNECT_BASE_MS: '100',
      AMQP_RECONNECT_MAX_MS: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    if (process.env.TEST_LOG_LEVEL !== undefined) process.stdout.write(d);
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  return child;
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
