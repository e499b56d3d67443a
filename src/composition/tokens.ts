import type { ServiceIdentifier } from 'inversify';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AcceptNotification } from '../application/intake/accept-notification';
import type { Authenticator } from '../application/intake/authentication';
import type { Clock } from '../application/clock';
import type { IdGenerator, UnitOfWork } from '../application/intake/ports';
import type {
  OperatorUnitOfWork,
  OutboxExplorer,
  OutboxReadModel,
  PayloadRedactionStore,
  ReadinessCheck,
} from '../application/operations/ports';
import type { ParkOutboxMessage } from '../application/operations/park-outbox-message';
import type { RedactPayloads } from '../application/operations/redact-payloads';
import type { ReplayOutboxMessages } from '../application/operations/replay-outbox-messages';
import type { ReportOutboxStatistics } from '../application/operations/report-outbox-statistics';
import type { RevealPayload } from '../application/operations/reveal-payload';
import type {
  MessagePublisher,
  OutboxRelayStore,
  OutboxWakeUp,
  RelayObserver,
} from '../application/relay/ports';
import type { RelayOutbox } from '../application/relay/relay-outbox';
import type { CodeLists } from '../domain/code-lists';
import type { GatewayMetrics } from '../adapters/metrics/gateway-metrics';
import type { Database } from '../adapters/postgres/database';
import type { OpenTelemetryTracing } from '../adapters/tracing/opentelemetry-tracing';
import type { LatencyTrace } from '../adapters/latency-trace';
import type { RequestTracing } from '../application/intake/request-tracing';
import type { Configuration } from './configuration';

/** The database server: DATABASE_URL, or the embedded PGlite this process (or a sibling) runs. */
export interface DatabaseServer {
  readonly connectionString: string;
  readonly connectionTimeoutMs: number;
  /** Stops the embedded database when this process started it; nothing otherwise. */
  stop(): Promise<void>;
}

/** Something a process runs until shutdown; stopping it is its binding's deactivation. */
export interface Service {
  readonly name: string;
  /** What the admin port's readiness probe asks on this service's behalf. */
  readonly readiness: readonly ReadinessCheck[];
  /** Where a listening service listens (PORT=0 picks a free port). */
  readonly address?: AddressInfo;
  stop(): Promise<void>;
}

/** A port whose adapter holds a connection: its binding's deactivation stops it. */
export type Stoppable<T> = T & { stop(): Promise<void> };

const token = <T>(name: string) => Symbol.for(name) as ServiceIdentifier<T>;

/** Every service identifier of the container, in one place: ports, resources, the use cases commands resolve, and the services. */
export const TOKENS = {
  Configuration: token<Configuration>('Configuration'),
  Logger: token<Logger>('Logger'),
  Clock: token<Clock>('Clock'),
  IdGenerator: token<IdGenerator>('IdGenerator'),

  DatabaseServer: token<DatabaseServer>('DatabaseServer'),
  /** The process's own small pool: migrations, metrics, readiness, operator commands. */
  OwnDatabase: token<Kysely<Database>>('OwnDatabase'),
  /** The intake's pool (DB_POOL_SIZE). */
  IntakeDatabase: token<Kysely<Database>>('IntakeDatabase'),
  /** The relay's own pool: one connection per batch in flight, apart from intake's. */
  RelayDatabase: token<Kysely<Database>>('RelayDatabase'),
  /** The pool operator commands and redaction use: the relay's in a relay, else the process's own. */
  OperationsDatabase: token<Kysely<Database>>('OperationsDatabase'),

  // Intake
  CodeLists: token<CodeLists>('CodeLists'),
  Authenticator: token<Authenticator>('Authenticator'),
  IntakeUnitOfWork: token<UnitOfWork>('IntakeUnitOfWork'),
  AcceptNotification: token<AcceptNotification>('AcceptNotification'),
  IntakeLogger: token<Logger>('IntakeLogger'),
  IntakeService: token<Service>('IntakeService'),

  // Relay
  RelayLogger: token<Logger>('RelayLogger'),
  OutboxRelayStore: token<OutboxRelayStore>('OutboxRelayStore'),
  MessagePublisher: token<Stoppable<MessagePublisher> & { readonly isReady: boolean }>('MessagePublisher'),
  OutboxWakeUp: token<Stoppable<OutboxWakeUp>>('OutboxWakeUp'),
  RelayObserver: token<RelayObserver>('RelayObserver'),
  RelayOutbox: token<RelayOutbox>('RelayOutbox'),
  RelayService: token<Service>('RelayService'),

  // Operations
  OutboxReadModel: token<OutboxReadModel>('OutboxReadModel'),
  /** The operators' and auditors' questions (command line and console): bindOutboxExplorer. */
  OutboxExplorer: token<OutboxExplorer>('OutboxExplorer'),
  OperatorUnitOfWork: token<OperatorUnitOfWork>('OperatorUnitOfWork'),
  PayloadRedactionStore: token<PayloadRedactionStore>('PayloadRedactionStore'),
  ReportOutboxStatistics: token<ReportOutboxStatistics>('ReportOutboxStatistics'),
  ReplayOutboxMessages: token<ReplayOutboxMessages>('ReplayOutboxMessages'),
  ParkOutboxMessage: token<ParkOutboxMessage>('ParkOutboxMessage'),
  RedactPayloads: token<RedactPayloads>('RedactPayloads'),
  RevealPayload: token<RevealPayload>('RevealPayload'),

  // Console
  ConsoleService: token<Service>('ConsoleService'),

  // Observability
  GatewayMetrics: token<GatewayMetrics>('GatewayMetrics'),
  /** OpenTelemetry export, when OTEL_EXPORTER_OTLP_ENDPOINT is set; `exporter` undefined otherwise. */
  Tracing: token<{ readonly exporter: OpenTelemetryTracing | undefined }>('Tracing'),
  /** The latency budget's timestamps, when LATENCY_TRACE_FILE is set; `trace` undefined otherwise. */
  LatencyTrace: token<{ readonly trace: LatencyTrace | undefined }>('LatencyTrace'),
  /** How the intake joins each request to a trace: spans when exporting, else the header only. */
  RequestTracing: token<RequestTracing>('RequestTracing'),
  AdminService: token<Service>('AdminService'),
};
