import type { Server } from 'node:http';
import { ContainerModule } from 'inversify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createAdminApp, listenAdmin, readinessSnapshot } from '../adapters/http/admin-app';
import { GatewayMetrics } from '../adapters/metrics/gateway-metrics';
import { registerReadinessGauge, registerRedactionGauges } from '../adapters/metrics/operations-gauges';
import type { Database } from '../adapters/postgres/database';
import { OpenTelemetryTracing } from '../adapters/tracing/opentelemetry-tracing';
import { LatencyTrace } from '../adapters/latency-trace';
import { databaseReadiness } from '../adapters/postgres/database-readiness';
import {
  KyselyOutboxReadModel,
  oldestUnredactedDeliveredAgeSeconds,
} from '../adapters/postgres/kysely-outbox-read-model';
import type { ReadinessCheck } from '../application/operations/ports';
import { type Configuration, listenOn } from './configuration';
import { type Service, TOKENS } from './tokens';
import { errorMessage } from '../adapters/logging';

/**
 * One metrics registry and one admin port (health of every part) per service process. The admin
 * port asks the readiness of the services started before it (`services`).
 */
export const observabilityModule = new ContainerModule(({ bind }) => {
  // One span exporter per process, flushed when the container closes.
  bind(TOKENS.Tracing)
    .toResolvedValue(
      (logger: Logger) => {
        const exporter = OpenTelemetryTracing.fromEnvironment();
        if (exporter !== undefined) logger.info('OpenTelemetry: exporting spans over OTLP/HTTP');
        return { exporter };
      },
      [TOKENS.Logger],
    )
    .inSingletonScope()
    .onDeactivation(({ exporter }) => exporter?.shutdown());
  bind(TOKENS.LatencyTrace)
    .toResolvedValue(
      (config: Configuration) => ({
        trace: config.latencyTraceFile === undefined ? undefined : new LatencyTrace(config.latencyTraceFile),
      }),
      [TOKENS.Configuration],
    )
    .inSingletonScope()
    .onDeactivation(({ trace }) => trace?.close());
  // The outbox gauges read the database on every scrape.
  bind(TOKENS.GatewayMetrics)
    .toResolvedValue(
      (db: Kysely<Database>, logger: Logger, config: Configuration) => {
        const readModel = new KyselyOutboxReadModel(db);
        const metrics = new GatewayMetrics({
          undelivered: () => readModel.undelivered(),
          onCollectError: (error) => logger.warn({ err: errorMessage(error) }, 'outbox metrics unavailable'),
          processMetrics: true,
        });
        registerRedactionGauges(metrics.registry, {
          retentionDays: config.payloadRetentionDays,
          oldestUnredactedAgeSeconds: () => oldestUnredactedDeliveredAgeSeconds(db),
        });
        return metrics;
      },
      [TOKENS.OwnDatabase, TOKENS.Logger, TOKENS.Configuration],
    )
    .inSingletonScope();
  bind(TOKENS.AdminService)
    .toResolvedValue(
      (
        config: Configuration,
        logger: Logger,
        metrics: GatewayMetrics,
        db: Kysely<Database>,
        relay: Service | undefined,
      ) => startAdmin(config, logger, metrics, db, relay === undefined ? [] : [relay]),
      [
        TOKENS.Configuration,
        TOKENS.Logger,
        TOKENS.GatewayMetrics,
        TOKENS.OwnDatabase,
        { serviceIdentifier: TOKENS.RelayService, optional: true },
      ],
    )
    .inSingletonScope()
    .onDeactivation((service) => service.stop());
});

/** The admin port (health, metrics) over the given services' readiness; none when ADMIN_PORT=0. */
async function startAdmin(
  config: Configuration,
  logger: Logger,
  metrics: GatewayMetrics,
  ownDatabase: Kysely<Database>,
  services: readonly Service[],
): Promise<Service> {
  if (config.adminPort === 0) {
    logger.info('ADMIN_PORT=0: no health or metrics endpoints');
    return { name: 'admin', readiness: [], stop: () => Promise.resolve() };
  }
  const readinessChecks: ReadinessCheck[] = [
    databaseReadiness(ownDatabase),
    ...services.flatMap((service) => service.readiness),
  ];
  registerReadinessGauge(metrics.registry, () => readinessSnapshot(readinessChecks));
  const admin: Server = await listenOn('ADMIN_PORT', config.adminPort, config.adminHost, () =>
    listenAdmin(createAdminApp({ metrics, readinessChecks, logger }), config.adminPort, config.adminHost),
  );
  logger.info({ address: admin.address() }, 'admin (health, metrics) listening');
  return {
    name: 'admin',
    readiness: [],
    stop: () =>
      new Promise((resolve) => {
        admin.close(() => resolve());
        admin.closeAllConnections();
      }),
  };
}
