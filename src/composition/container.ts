import { Container, ContainerModule, type ServiceIdentifier } from 'inversify';
import type { Logger } from 'pino';
import { systemClock } from '../adapters/system/system-clock';
import type { Configuration } from './configuration';
import { consoleModule } from './console-module';
import { databaseModule } from './database-module';
import { intakeModule } from './intake-module';
import { observabilityModule } from './observability-module';
import { operationsModule } from './operations-module';
import { relayModule } from './relay-module';
import { type Service, TOKENS } from './tokens';

/** The processes the gateway runs as; each gets one container. */
export type ProcessKind = 'serve' | 'relay' | 'start' | 'console' | 'outbox' | 'migrate';

/** A service a process may run, until shutdown. */
type ServicePart = 'intake' | 'relay' | 'console' | 'admin';

interface ProcessShape {
  /** The process's own pool as pg_stat_activity names it (`wsb-gateway <purpose>`). */
  readonly ownPool: string;
  /** Its connections (2 unless said): the console's pages ask a few questions at once. */
  readonly ownPoolSize?: number;
  readonly services: readonly ServicePart[];
  /** Replay, park, reveal and the explorer (the operator's commands, the console). */
  readonly operatorCommands: boolean;
}

/** Every process kind, once: which modules it loads, which services it starts, its pool's name. */
const PROCESSES: Readonly<Record<ProcessKind, ProcessShape>> = {
  serve: { ownPool: 'admin', services: ['intake', 'admin'], operatorCommands: false },
  relay: { ownPool: 'admin', services: ['relay', 'admin'], operatorCommands: false },
  start: { ownPool: 'admin', services: ['relay', 'intake', 'console', 'admin'], operatorCommands: true },
  console: { ownPool: 'console', ownPoolSize: 4, services: ['console'], operatorCommands: true },
  outbox: { ownPool: 'outbox', services: [], operatorCommands: true },
  migrate: { ownPool: 'migrate', services: [], operatorCommands: false },
};
export const PROCESS_KINDS = Object.keys(PROCESSES) as readonly ProcessKind[];

/**
 * Each service's token, in the order services start: the relay first, so the intake's first rows
 * find it ready; the admin port last, as it reports on the others. Shutdown goes by `stop`: stop
 * taking requests (intake, console), let the relay settle what it has in flight, close the admin port.
 */
const SERVICES: Readonly<
  Record<ServicePart, { readonly token: ServiceIdentifier<Service>; readonly stop: number }>
> = {
  relay: { token: TOKENS.RelayService, stop: 3 },
  intake: { token: TOKENS.IntakeService, stop: 1 },
  console: { token: TOKENS.ConsoleService, stop: 2 },
  admin: { token: TOKENS.AdminService, stop: 4 },
};
const START_ORDER: readonly ServicePart[] = ['relay', 'intake', 'console', 'admin'];

const clockModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Clock).toConstantValue(systemClock);
});

/**
 * The one wiring of a process, used alike by `src/main.ts`, the integration tests and the benches.
 * Nothing is opened or started until it is resolved; a test replaces a port with `rebind` first.
 */
export function createContainer(kind: ProcessKind, config: Configuration, logger: Logger): Container {
  const shape = PROCESSES[kind];
  const has = (part: ServicePart) => shape.services.includes(part);
  // Several services in one process: each logs as its subsystem.
  const several = shape.services.filter((part) => part !== 'admin').length > 1;
  const loggerOf = (subsystem: string) => (several ? logger.child({ subsystem }) : logger);
  const container = new Container();
  container.bind(TOKENS.Configuration).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(logger);
  container.load(databaseModule(shape.ownPool, shape.ownPoolSize));
  if (kind !== 'migrate') container.load(clockModule);
  if (has('intake')) container.load(intakeModule(loggerOf('serve')));
  if (has('relay')) container.load(relayModule(loggerOf('relay')));
  if (has('relay') || shape.operatorCommands) {
    container.load(operationsModule({ operatorCommands: shape.operatorCommands }));
    container
      .bind(TOKENS.OperationsDatabase)
      .toService(has('relay') ? TOKENS.RelayDatabase : TOKENS.OwnDatabase);
  }
  if (has('console')) container.load(consoleModule(loggerOf('console')));
  if (has('admin')) container.load(observabilityModule);
  return container;
}

/** What a service process starts, in order. */
export function entryPoints(kind: ProcessKind): readonly ServiceIdentifier<Service>[] {
  const services = PROCESSES[kind].services;
  return START_ORDER.filter((part) => services.includes(part)).map((part) => SERVICES[part].token);
}

/**
 * The shutdown order, stated once: the services (see SERVICES), then the connections, the pools and
 * last the database server (the embedded one lives in this process). What each step closes is the
 * deactivation declared where it is bound.
 */
const SHUTDOWN_ORDER: readonly ServiceIdentifier[] = [
  ...Object.values(SERVICES)
    .sort((a, b) => a.stop - b.stop)
    .map((service) => service.token),
  TOKENS.MessagePublisher,
  TOKENS.OutboxWakeUp,
  TOKENS.IntakeDatabase,
  TOKENS.OperationsDatabase,
  TOKENS.RelayDatabase,
  TOKENS.OwnDatabase,
  TOKENS.DatabaseServer,
  TOKENS.Tracing,
  TOKENS.LatencyTrace,
];

/**
 * Closes every part, even when one fails to close or had failed to start (its binding then holds the
 * start's rejection), and rethrows the first failure once the rest is closed.
 */
export async function closeContainer(container: Container): Promise<void> {
  const failures: unknown[] = [];
  for (const id of SHUTDOWN_ORDER) {
    if (container.isBound(id))
      await container.unbindAsync(id).catch((error: unknown) => failures.push(error));
  }
  await container.unbindAllAsync().catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw failures[0];
}
