import type { Server } from 'node:http';
import { ContainerModule } from 'inversify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createAdminApp, listenAdmin } from '../adapters/http/admin-app';
import { GatewayMetrics } from '../adapters/metrics/gateway-metrics';
import type { Database } from '../adapters/postgres/database';
import { databaseReadiness } from '../adapters/postgres/database-readiness';
import { KyselyOutboxReadModel } from '../adapters/postgres/kysely-outbox-read-model';
import type { ReadinessCheck } from '../application/operations/ports';
import type { Configuration } from './configuration';
import { type Service, TOKENS } from './tokens';
import { errorMessage } from '../adapters/logging';

/**
 * One metrics registry and one admin port (health of every part) per service process. The admin
 * port asks the readiness of the services started before it (`services`).
 */
export const observabilityModule = new ContainerModule(({ bind }) => {
  // The outbox gauges read the database on every scrape.
  bind(TOKENS.GatewayMetrics)
    .toResolvedValue(
      (db: Kysely<Database>, logger: Logger) => {
        const readModel = new KyselyOutboxReadModel(db);
        return new GatewayMetrics({
          undelivered: () => readModel.undelivered(),
          onCollectError: (error) => logger.warn({ err: errorMessage(error) }, 'outbox metrics unavailable'),
          processMetrics: true,
        });
      },
      [TOKENS.OwnDatabase, TOKENS.Logger],
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
  const admin: Server = await listenAdmin(
    createAdminApp({ metrics, readinessChecks, logger }),
    config.adminPort,
    config.host,
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
