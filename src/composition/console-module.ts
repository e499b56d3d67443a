import { randomBytes } from 'node:crypto';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import { createConsoleApp, type ConsoleSignIn } from '../adapters/console/console-app';
import { startConsole } from '../adapters/console/console-server';
import { OidcSignIn } from '../adapters/console/oidc-sign-in';
import { SessionStore } from '../adapters/console/sessions';
import { ActOnFailureGroup } from '../application/operations/act-on-failure-group';
import type { ParkOutboxMessage } from '../application/operations/park-outbox-message';
import type { OperatorUnitOfWork, OutboxExplorer, OutboxReadModel } from '../application/operations/ports';
import type { ReplayOutboxMessages } from '../application/operations/replay-outbox-messages';
import type { ReportOutboxStatistics } from '../application/operations/report-outbox-statistics';
import { RevealPayload } from '../application/operations/reveal-payload';
import { SearchSubjectAccess } from '../application/operations/search-subject-access';
import type { Configuration } from './configuration';
import { type Service, TOKENS } from './tokens';

/** The console's port (CONSOLE_PORT): pages over the outbox explorer and the operator use cases. */
export function consoleModule(logger: Logger): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ConsoleService)
      .toResolvedValue(
        async (
          config: Configuration,
          explorer: OutboxExplorer,
          readModel: OutboxReadModel,
          unitOfWork: OperatorUnitOfWork,
          statistics: ReportOutboxStatistics,
          replay: ReplayOutboxMessages,
          park: ParkOutboxMessage,
        ): Promise<Service> => {
          const settings = config.console;
          const signIn: ConsoleSignIn =
            settings.oidc === undefined
              ? { mode: 'development' }
              : { mode: 'oidc', oidc: new OidcSignIn(settings.oidc) };
          if (signIn.mode === 'development') {
            logger.warn('CONSOLE DEVELOPMENT MODE: sign-in as either role without an identity provider');
          }
          const app = createConsoleApp({
            explorer,
            statistics,
            replay,
            park,
            reveal: new RevealPayload(readModel, unitOfWork),
            groupAction: new ActOnFailureGroup(explorer, unitOfWork),
            subjectAccess: new SearchSubjectAccess(explorer, unitOfWork),
            sessions: new SessionStore({
              idleSeconds: settings.sessionIdleSeconds,
              absoluteSeconds: settings.sessionMaxSeconds,
            }),
            signIn,
            sessionSecret: settings.sessionSecret ?? randomBytes(32).toString('base64url'),
            secureCookies: settings.publicUrl?.startsWith('https:') === true,
            production: config.nodeEnv === 'production',
            logger,
          });
          const listening = await startConsole(app, settings.port, config.host, logger);
          return { name: 'console', readiness: [], address: listening.address, stop: listening.stop };
        },
        [
          TOKENS.Configuration,
          TOKENS.OutboxExplorer,
          TOKENS.OutboxReadModel,
          TOKENS.OperatorUnitOfWork,
          TOKENS.ReportOutboxStatistics,
          TOKENS.ReplayOutboxMessages,
          TOKENS.ParkOutboxMessage,
        ],
      )
      .inSingletonScope()
      .onDeactivation((service) => service.stop());
  });
}
