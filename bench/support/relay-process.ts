import { type GatewayProcess, startGateway } from '../../test/support/gateway-process';
import { TEST_AMQP_URL } from '../../test/support/rabbitmq';

/** The relay's batch and batches in flight in every part (BENCH_IN_FLIGHT), and the window they make. */
export const BATCH = 500;
export const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 6);
export const WINDOW = BATCH * IN_FLIGHT;

/**
 * `wsb-gateway relay` as its own process on `exchange` (declaring no queue: the bench declares its
 * own), with the bench's batch and window; resolves once it is connected, with its topology.
 * BENCH_RELAY_NODE_OPTIONS goes to that process alone as NODE_OPTIONS, e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/relay-prof` to profile the relay (written when it stops).
 */
export async function startRelayProcess(
  databaseUrl: string,
  exchange: string,
  logLevel: 'debug' | 'info',
  env: Record<string, string>,
): Promise<GatewayProcess> {
  const child = startGateway(['relay'], {
    DATABASE_URL: databaseUrl,
    AMQP_URL: TEST_AMQP_URL,
    AMQP_EXCHANGE: exchange,
    AMQP_QUEUES: 'none',
    ADMIN_PORT: '0',
    LOG_LEVEL: logLevel,
    REDACTION_INTERVAL_SECONDS: '0',
    RELAY_BATCH_SIZE: String(BATCH),
    RELAY_IN_FLIGHT_BATCHES: String(IN_FLIGHT),
    ...(process.env.BENCH_RELAY_NODE_OPTIONS !== undefined
      ? { NODE_OPTIONS: process.env.BENCH_RELAY_NODE_OPTIONS }
      : {}),
    ...env,
  });
  try {
    await child.waitForLog((l) => l.msg === 'connected to RabbitMQ, topology declared', 60_000);
    return child;
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Relay settings from the bench's environment (e.g. RELAY_CHAIN_LENGTH=1 for the relay without chains). */
export function relayEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['RELAY_CHAIN_LENGTH', 'RELAY_CLAIM_MAX_ROWS']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
