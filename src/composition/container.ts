import { Container, ContainerModule, type ServiceIdentifier } from 'inversify';
import type { Logger } from 'pino';
import { systemClock } from '../adapters/system/system-clock';
import type { Configuration } from './configuration';
import { databaseModule } from './database-module';
import { intakeModule } from './intake-module';
import { observabilityModule } from './observability-module';
import { operationsModule } from './operations-module';
import { relayModule } from './relay-module';
import { type Service, TOKENS } from './tokens';

/** The processes the gateway runs as; each gets one container. */
export type ProcessKind = 'serve' | 'relay' | 'start' | 'outbox' | 'migrate';
export const PROCESS_KINDS: readonly ProcessKind[] = ['serve', 'relay', 'start', 'outbox', 'migrate'];

/** The process's own pool as pg_stat_activity names it (`wsb-gateway <purpose>`). */
const OWN_POOL: Record<ProcessKind, string> = {
  serve: 'admin',
  relay: 'admin',
  start: 'admin',
  outbox: 'outbox',
  migrate: 'migrate',
};

const clockModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Clock).toConstantValue(systemClock);
});

/**
 * The one wiring of a process, used alike by `src/main.ts`, the integration tests and the benches.
 * Nothing is opened or started until it is resolved; a test replaces a port with `rebind` first.
 */
export function createContainer(kind: ProcessKind, config: Configuration, logger: Logger): Container {
  const intake = kind === 'serve' || kind === 'start';
  const relay = kind === 'relay' || kind === 'start';
  const container = new Container();
  container.bind(TOKENS.Configuration).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(logger);
  container.load(databaseModule(OWN_POOL[kind]));
  if (kind !== 'migrate') container.load(clockModule);
  // Both in one process: each logs as its subsystem.
  if (intake) container.load(intakeModule(relay ? logger.child({ subsystem: 'serve' }) : logger));
  if (relay) container.load(relayModule(intake ? logger.child({ subsystem: 'relay' }) : logger));
  if (relay || kind === 'outbox') {
    container.load(operationsModule({ operatorCommands: kind === 'outbox' }));
    container.bind(TOKENS.OperationsDatabase).toService(relay ? TOKENS.RelayDatabase : TOKENS.OwnDatabase);
  }
  if (intake || relay) container.load(observabilityModule);
  return container;
}

/**
 * What a service process starts, in order: the relay first, so the intake's first rows find it ready;
 * the admin port last, as it reports on the others.
 */
export function entryPoints(kind: ProcessKind): readonly ServiceIdentifier<Service>[] {
  const intake = kind === 'serve' || kind === 'start';
  const relay = kind === 'relay' || kind === 'start';
  if (!intake && !relay) return [];
  return [
    ...(relay ? [TOKENS.RelayService] : []),
    ...(intake ? [TOKENS.IntakeService] : []),
    TOKENS.AdminService,
  ];
}

/**
 * The shutdown order, stated once: stop taking requests, let the relay settle what it has in flight,
 * close the admin port, then the connections, the pools and last the database server (the embedded
 * one lives in this process). What each step closes is the deactivation declared where it is bound.
 */
const SHUTDOWN_ORDER: readonly ServiceIdentifier[] = [
  TOKENS.IntakeService,
  TOKENS.RelayService,
  TOKENS.AdminService,
  TOKENS.MessagePublisher,
  TOKENS.OutboxWakeUp,
  TOKENS.IntakeDatabase,
  TOKENS.OperationsDatabase,
  TOKENS.RelayDatabase,
  TOKENS.OwnDatabase,
  TOKENS.DatabaseServer,
  TOKENS.Tracing,
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
