import { type Bind, ContainerModule, type ServiceIdentifier } from 'inversify';
import type { Kysely } from 'kysely';
import type { GatewayMetrics } from '../adapters/metrics/gateway-metrics';
import type { Database } from '../adapters/postgres/database';
import { KyselyOperatorUnitOfWork } from '../adapters/postgres/kysely-operator-unit-of-work';
import { KyselyOutboxExplorer } from '../adapters/postgres/kysely-outbox-explorer';
import { KyselyOutboxReadModel } from '../adapters/postgres/kysely-outbox-read-model';
import { KyselyPayloadRedactionStore } from '../adapters/postgres/kysely-payload-redaction-store';
import type { Clock } from '../application/intake/ports';
import { ParkOutboxMessage } from '../application/operations/park-outbox-message';
import type {
  OperatorUnitOfWork,
  OutboxReadModel,
  PayloadRedactionStore,
} from '../application/operations/ports';
import { RedactPayloads } from '../application/operations/redact-payloads';
import { ReplayOutboxMessages } from '../application/operations/replay-outbox-messages';
import { ReportOutboxStatistics } from '../application/operations/report-outbox-statistics';
import { ShowOutboxMessage } from '../application/operations/show-outbox-message';
import type { Configuration } from './configuration';
import { TOKENS } from './tokens';

/**
 * Operator commands and payload redaction over `OperationsDatabase` (the relay's pool in a relay
 * process, the process's own in `wsb-gateway outbox`). The operator commands are read only by
 * `outbox`, so a relay binds only what redaction needs.
 */
export function operationsModule(parts: { readonly operatorCommands: boolean }): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.OperatorUnitOfWork)
      .toResolvedValue(
        (db: Kysely<Database>) => new KyselyOperatorUnitOfWork(db),
        [TOKENS.OperationsDatabase],
      )
      .inSingletonScope();
    bind(TOKENS.PayloadRedactionStore)
      .toResolvedValue(
        (db: Kysely<Database>) => new KyselyPayloadRedactionStore(db),
        [TOKENS.OperationsDatabase],
      )
      .inSingletonScope();
    // Metrics are optional: the CLI has none.
    bind(TOKENS.RedactPayloads)
      .toResolvedValue(
        (
          store: PayloadRedactionStore,
          clock: Clock,
          uow: OperatorUnitOfWork,
          config: Configuration,
          metrics: GatewayMetrics | undefined,
        ) =>
          new RedactPayloads(store, clock, metrics ?? { redacted: () => undefined }, uow, {
            retentionDays: config.payloadRetentionDays,
            batchSize: config.redactionBatchSize,
          }),
        [
          TOKENS.PayloadRedactionStore,
          TOKENS.Clock,
          TOKENS.OperatorUnitOfWork,
          TOKENS.Configuration,
          { serviceIdentifier: TOKENS.GatewayMetrics, optional: true },
        ],
      )
      .inSingletonScope();
    if (!parts.operatorCommands) return;
    bind(TOKENS.OutboxReadModel)
      .toResolvedValue((db: Kysely<Database>) => new KyselyOutboxReadModel(db), [TOKENS.OperationsDatabase])
      .inSingletonScope();
    bindOutboxExplorer(bind, TOKENS.OperationsDatabase);
    bind(TOKENS.ReportOutboxStatistics)
      .toResolvedValue(
        (outbox: OutboxReadModel) => new ReportOutboxStatistics(outbox),
        [TOKENS.OutboxReadModel],
      )
      .inSingletonScope();
    bind(TOKENS.ShowOutboxMessage)
      .toResolvedValue((outbox: OutboxReadModel) => new ShowOutboxMessage(outbox), [TOKENS.OutboxReadModel])
      .inSingletonScope();
    bind(TOKENS.ReplayOutboxMessages)
      .toResolvedValue(
        (uow: OperatorUnitOfWork) => new ReplayOutboxMessages(uow),
        [TOKENS.OperatorUnitOfWork],
      )
      .inSingletonScope();
    bind(TOKENS.ParkOutboxMessage)
      .toResolvedValue((uow: OperatorUnitOfWork) => new ParkOutboxMessage(uow), [TOKENS.OperatorUnitOfWork])
      .inSingletonScope();
  });
}

/**
 * The OutboxExplorer over the pool `database` names: `outbox` binds it here, the console for its
 * own process with its own pool.
 */
export function bindOutboxExplorer(bind: Bind, database: ServiceIdentifier<Kysely<Database>>): void {
  bind(TOKENS.OutboxExplorer)
    .toResolvedValue((db: Kysely<Database>) => new KyselyOutboxExplorer(db), [database])
    .inSingletonScope();
}
