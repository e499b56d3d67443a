import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Kysely } from 'kysely';
import pino from 'pino';
import type { QueueSpec } from '../../src/adapters/config/configuration';
import { KyselyRelayStore } from '../../src/adapters/postgres/kysely-relay-store';
import { pollingWakeUp } from '../../src/adapters/postgres/pg-listen-wake-up';
import type { Database } from '../../src/adapters/postgres/database';
import { AmqpMessagePublisher } from '../../src/adapters/rabbitmq/amqp-message-publisher';
import { RelayOutbox, type RelaySettings } from '../../src/application/relay-outbox';
import {
  type MessagePublisher,
  type OutboxWakeUp,
  type RelayObserver,
  silentRelayObserver,
} from '../../src/application/relay-ports';
import { TEST_AMQP_URL } from './rabbitmq';

export interface RunningRelay {
  readonly publisher: AmqpMessagePublisher;
  stop(): Promise<void>;
}

export const FAST_RELAY: RelaySettings = {
  batchSize: 500,
  maxInFlightBatches: 3,
  idlePollMs: 10,
  retryBaseMs: 50,
  retryMaxMs: 300,
  chainLength: 128,
  claimMaxRows: 4000,
};

/** The relay in this process, on the given database, publishing to `exchange`. */
export function startRelayInProcess(options: {
  db: Kysely<Database>;
  exchange: string;
  queues: readonly QueueSpec[];
  settings?: Partial<RelaySettings>;
  wakeUp?: OutboxWakeUp;
  observer?: RelayObserver;
  confirmTimeoutMs?: number;
  /** Stands between the relay and the real publisher (e.g. to make the broker nack one message). */
  wrapPublisher?: (publisher: MessagePublisher) => MessagePublisher;
}): RunningRelay {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const publisher = new AmqpMessagePublisher(
    {
      url: TEST_AMQP_URL,
      exchange: options.exchange,
      queues: options.queues,
      appId: 'wsb-gateway-test',
      confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
      reconnectBaseMs: 100,
      reconnectMaxMs: 1000,
      connectionName: 'wsb-gateway relay test',
    },
    logger,
  );
  const relay = new RelayOutbox(
    new KyselyRelayStore(options.db),
    options.wrapPublisher?.(publisher) ?? publisher,
    options.wakeUp ?? pollingWakeUp,
    { now: () => new Date() },
    options.observer ?? silentRelayObserver,
    { ...FAST_RELAY, ...options.settings },
  );
  publisher.start();
  const stop = new AbortController();
  const running = relay.execute(stop.signal);
  return {
    publisher,
    stop: async () => {
      stop.abort();
      await running;
      await publisher.stop();
    },
  };
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
