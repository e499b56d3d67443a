import type { ServiceIdentifier } from 'inversify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AcceptNotification } from '../../application/accept-notification';
import type { Clock, IdGenerator, UnitOfWork } from '../../application/ports';
import type { CodeLists } from '../../domain/code-lists';
import type { Authenticator } from '../auth/jwt-authenticator';
import type { Configuration } from '../config/configuration';
import type { Database } from '../postgres/database';

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
};
