import type { ServiceIdentifier } from 'inversify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AcceptNotification } from '../application/intake/accept-notification';
import type { Clock, IdGenerator, UnitOfWork } from '../application/intake/ports';
import type {
  OperatorUnitOfWork,
  OutboxReadModel,
  PayloadRedactionStore,
} from '../application/operations/ports';
import type { ParkOutboxMessage } from '../application/operations/park-outbox-message';
import type { RedactPayloads } from '../application/operations/redact-payloads';
import type { ReplayOutboxMessages } from '../application/operations/replay-outbox-messages';
import type { ReportOutboxStatistics } from '../application/operations/report-outbox-statistics';
import type { ShowOutboxMessage } from '../application/operations/show-outbox-message';
import type { GatewayMetrics } from '../adapters/metrics/gateway-metrics';
import type { RelayOutbox } from '../application/relay/relay-outbox';
import type {
  MessagePublisher,
  OutboxRelayStore,
  OutboxWakeUp,
  RelayObserver,
} from '../application/relay/ports';
import type { CodeLists } from '../domain/code-lists';
import type { Authenticator } from '../adapters/auth/jwt-authenticator';
import type { Configuration } from './configuration';
import type { Database } from '../adapters/postgres/database';

/** Every service identifier of the container, in one place. */
export const TOKENS = {
  Configuration: Symbol.for('Configuration') as ServiceIdentifier<Configuration>,
  Logger: Symbol.for('Logger') as ServiceIdentifier<Logger>,
  Clock: Symbol.for('Clock') as ServiceIdentifier<Clock>,
  IdGenerator: Symbol.for('IdGenerator') as ServiceIdentifier<IdGenerator>,
  CodeLists: Symbol.for('CodeLists') as ServiceIdentifier<CodeLists>,
  Database: Symbol.for('Database') as ServiceIdentifier<Kysely<Database>>,
  UnitOfWork: Symbol.for('UnitOfWork') as ServiceIdentifier<UnitOfWork>,
  IntakeUnitOfWork: Symbol.for('IntakeUnitOfWork') as ServiceIdentifier<UnitOfWork>,
  Authenticator: Symbol.for('Authenticator') as ServiceIdentifier<Authenticator>,
  AcceptNotification: Symbol.for('AcceptNotification') as ServiceIdentifier<AcceptNotification>,
  // Operations (issue 4)
  GatewayMetrics: Symbol.for('GatewayMetrics') as ServiceIdentifier<GatewayMetrics>,
  OutboxReadModel: Symbol.for('OutboxReadModel') as ServiceIdentifier<OutboxReadModel>,
  OperatorUnitOfWork: Symbol.for('OperatorUnitOfWork') as ServiceIdentifier<OperatorUnitOfWork>,
  PayloadRedactionStore: Symbol.for('PayloadRedactionStore') as ServiceIdentifier<PayloadRedactionStore>,
  ReportOutboxStatistics: Symbol.for('ReportOutboxStatistics') as ServiceIdentifier<ReportOutboxStatistics>,
  ShowOutboxMessage: Symbol.for('ShowOutboxMessage') as ServiceIdentifier<ShowOutboxMessage>,
  ReplayOutboxMessages: Symbol.for('ReplayOutboxMessages') as ServiceIdentifier<ReplayOutboxMessages>,
  ParkOutboxMessage: Symbol.for('ParkOutboxMessage') as ServiceIdentifier<ParkOutboxMessage>,
  RedactPayloads: Symbol.for('RedactPayloads') as ServiceIdentifier<RedactPayloads>,
  /** The relay's own pool: one connection per batch in flight, apart from intake's. */
  RelayDatabase: Symbol.for('RelayDatabase') as ServiceIdentifier<Kysely<Database>>,
  OutboxRelayStore: Symbol.for('OutboxRelayStore') as ServiceIdentifier<OutboxRelayStore>,
  MessagePublisher: Symbol.for('MessagePublisher') as ServiceIdentifier<MessagePublisher>,
  OutboxWakeUp: Symbol.for('OutboxWakeUp') as ServiceIdentifier<OutboxWakeUp>,
  RelayObserver: Symbol.for('RelayObserver') as ServiceIdentifier<RelayObserver>,
  RelayOutbox: Symbol.for('RelayOutbox') as ServiceIdentifier<RelayOutbox>,
};
