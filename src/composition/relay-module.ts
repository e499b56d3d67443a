import { ContainerModule } from 'inversify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../adapters/metrics/gateway-metrics';
import { observeAll, PinoRelayObserver } from '../adapters/pino-relay-observer';
import type { Database } from '../adapters/postgres/database';
import { KyselyRelayStore } from '../adapters/postgres/kysely-relay-store';
import { PgListenWakeUp } from '../adapters/postgres/pg-listen-wake-up';
import { AmqpMessagePublisher } from '../adapters/rabbitmq/amqp-message-publisher';
import type { OpenTelemetryTracing } from '../adapters/tracing/opentelemetry-tracing';
import type { LatencyTrace } from '../adapters/latency-trace';
import { RedactionRunner } from '../adapters/system/redaction-runner';
import type { Clock } from '../application/clock';
import type { RedactPayloads } from '../application/operations/redact-payloads';
import type {
  MessagePublisher,
  OutboxRelayStore,
  OutboxWakeUp,
  RelayObserver,
} from '../application/relay/ports';
import { RelayOutbox } from '../application/relay/relay-outbox';
import type { Configuration } from './configuration';
import { poolFor } from './database-module';
import { type DatabaseServer, type Service, TOKENS } from './tokens';

/**
 * The relay: its pool, the RabbitMQ publisher and the LISTEN wake-up (each started when resolved and
 * stopped by its deactivation), the relay use case and the service that runs it with redaction.
 */
export function relayModule(logger: Logger): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.RelayLogger).toConstantValue(logger);
    // One connection per open claim (each holds its transaction): up to twice the batches in flight,
    // as batches that have their confirms settle beside the next ones; two to spare (redaction, metrics).
    bind(TOKENS.RelayDatabase)
      .toResolvedValue(
        poolFor('relay', (config) => 2 * config.relay.inFlightBatches + 2),
        [TOKENS.DatabaseServer, TOKENS.Configuration],
      )
      .inSingletonScope()
      .onDeactivation((db) => db.destroy());
    bind(TOKENS.OutboxRelayStore)
      .toResolvedValue((db: Kysely<Database>) => new KyselyRelayStore(db), [TOKENS.RelayDatabase])
      .inSingletonScope();
    bind(TOKENS.MessagePublisher)
      .toResolvedValue(
        (config: Configuration, log: Logger) => {
          const publisher = new AmqpMessagePublisher(
            {
              url: config.amqpUrl,
              exchange: config.amqpExchange,
              queues: config.amqpQueues,
              appId: config.appId,
              confirmTimeoutMs: config.relay.confirmTimeoutMs,
              reconnectBaseMs: config.relay.reconnectBaseMs,
              reconnectMaxMs: config.relay.reconnectMaxMs,
              connectionName: `wsb-gateway relay pid ${process.pid}`,
            },
            log,
          );
          publisher.start();
          return publisher;
        },
        [TOKENS.Configuration, TOKENS.RelayLogger],
      )
      .inSingletonScope()
      .onDeactivation((publisher) => publisher.stop());
    bind(TOKENS.OutboxWakeUp)
      .toResolvedValue(
        (server: DatabaseServer, log: Logger, { trace }: { readonly trace: LatencyTrace | undefined }) => {
          const wakeUp = new PgListenWakeUp(server.connectionString, log, trace);
          wakeUp.start();
          return wakeUp;
        },
        [TOKENS.DatabaseServer, TOKENS.RelayLogger, TOKENS.LatencyTrace],
      )
      .inSingletonScope()
      .onDeactivation((wakeUp) => wakeUp.stop());
    bind(TOKENS.RelayObserver)
      .toResolvedValue(
        (log: Logger, metrics: GatewayMetrics) =>
          observeAll(new PinoRelayObserver(log), metricsRelayObserver(metrics)),
        [TOKENS.RelayLogger, TOKENS.GatewayMetrics],
      )
      .inSingletonScope();
    bind(TOKENS.RelayOutbox)
      .toResolvedValue(
        (
          store: OutboxRelayStore,
          publisher: MessagePublisher,
          wakeUp: OutboxWakeUp,
          clock: Clock,
          observer: RelayObserver,
          config: Configuration,
          tracing: { readonly exporter: OpenTelemetryTracing | undefined },
          { trace }: { readonly trace: LatencyTrace | undefined },
        ) =>
          new RelayOutbox(
            tracing.exporter?.traceStore(store) ?? store,
            tracing.exporter?.tracePublisher(publisher) ?? publisher,
            wakeUp,
            clock,
            observer,
            {
              batchSize: config.relay.batchSize,
              inFlightBatches: config.relay.inFlightBatches,
              chainLength: config.relay.chainLength,
              claimMaxRows: config.relay.claimMaxRows,
              idlePollMs: config.relay.idlePollMs,
              retryBaseMs: config.relay.retryBaseMs,
              retryMaxMs: config.relay.retryMaxMs,
            },
            Math.random,
            trace === undefined
              ? undefined
              : {
                  now: () => trace.now(),
                  batch: (timeline) => trace.record({ event: 'batch', ...timeline }),
                },
          ),
        [
          TOKENS.OutboxRelayStore,
          TOKENS.MessagePublisher,
          TOKENS.OutboxWakeUp,
          TOKENS.Clock,
          TOKENS.RelayObserver,
          TOKENS.Configuration,
          TOKENS.Tracing,
          TOKENS.LatencyTrace,
        ],
      )
      .inSingletonScope();
    bind(TOKENS.RelayService)
      .toResolvedValue(startRelay, [
        TOKENS.Configuration,
        TOKENS.RelayLogger,
        TOKENS.RelayOutbox,
        TOKENS.MessagePublisher,
        TOKENS.RedactPayloads,
      ])
      .inSingletonScope()
      .onDeactivation((service) => service.stop());
  });
}

function startRelay(
  config: Configuration,
  logger: Logger,
  relay: RelayOutbox,
  publisher: MessagePublisher & { readonly isReady: boolean },
  redactPayloads: RedactPayloads,
): Service {
  const redaction = new RedactionRunner(redactPayloads, config.redactionIntervalSeconds * 1000, logger);
  const stopRelay = new AbortController();
  const relaying = relay.execute(stopRelay.signal);
  if (config.redactionIntervalSeconds > 0) redaction.start();
  logger.info(
    {
      exchange: config.amqpExchange,
      batchSize: config.relay.batchSize,
      inFlight: config.relay.inFlightBatches,
      chainLength: config.relay.chainLength,
    },
    'relay started',
  );
  return {
    name: 'relay',
    readiness: [
      {
        name: 'broker',
        check: () =>
          publisher.isReady
            ? Promise.resolve()
            : Promise.reject(new Error('not connected to RabbitMQ, or blocked by it')),
      },
    ],
    // Stop claiming and let the batches in flight get their confirms and settle; the publisher,
    // the wake-up and the pool are closed after this by their own deactivation.
    stop: async () => {
      stopRelay.abort();
      await redaction.stop();
      await relaying;
      logger.info('relay stopped');
    },
  };
}

/** The relay's reports as Prometheus metrics. */
function metricsRelayObserver(metrics: GatewayMetrics): RelayObserver {
  return {
    batchClaimed: (size) => metrics.relayBatch(size),
    delivered: (count) => metrics.published(count),
    // `blocked` (connection.blocked) is a broker-side refusal to accept publishes: a connection reason.
    publishFailed: (reason, count) =>
      metrics.publishFailed(reason === 'blocked' ? 'connection' : reason, count),
    confirmLatency: (ms) => metrics.confirmLatency(ms / 1000),
    storeFailed: () => undefined,
  };
}
