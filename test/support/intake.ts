import pino from 'pino';
import type { Authenticator } from '../../src/application/intake/authentication';
import type { UnitOfWork } from '../../src/application/intake/ports';
import type { TlsConfiguration } from '../../src/adapters/http/public-server';
import { GatewayMetrics } from '../../src/adapters/metrics/gateway-metrics';
import { loadConfiguration } from '../../src/composition/configuration';
import { closeContainer, createContainer } from '../../src/composition/container';
import { TOKENS } from '../../src/composition/tokens';
import type { RequestTracing } from '../../src/application/intake/request-tracing';
import { type CodeLists, UNCHECKED_CODE_LISTS } from '../../src/domain/code-lists';
import { GroupCommitUnitOfWork } from '../../src/adapters/postgres/group-commit-unit-of-work';
import { createTestDatabase, type TestDatabase } from './postgres';
import { TestIdentityProvider } from './tokens';

export interface RunningIntake {
  readonly baseUrl: string;
  close(): Promise<void>;
}

/**
 * The intake as `wsb-gateway serve` wires it (the production container), on an ephemeral port, with
 * the given unit of work, authenticator and code lists swapped in by `rebind`.
 */
export async function startIntake(options: {
  unitOfWork: UnitOfWork;
  authenticator: Authenticator;
  codeLists?: CodeLists;
  bodyLimitBytes?: number;
  /** Where the request metrics go; a registry of its own by default. */
  metrics?: GatewayMetrics;
  /** HTTPS (and client certificates) as `serve` sets them up; baseUrl is then https://. */
  tls?: TlsConfiguration;
  tracing?: RequestTracing;
  /** The exchange recorded with each row (the relay refuses rows naming another). */
  exchange?: string;
}): Promise<RunningIntake> {
  const base = loadConfiguration(
    // The database is never reached: the unit of work is the test's.
    { DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused', PORT: '0', HOST: '127.0.0.1', ADMIN_PORT: '0' },
    { servesHttp: true },
  );
  const config = {
    ...base,
    bodyLimitBytes: options.bodyLimitBytes ?? base.bodyLimitBytes,
    tls: options.tls,
    amqpExchange: options.exchange ?? base.amqpExchange,
  };
  const container = createContainer('serve', config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  container.rebind(TOKENS.IntakeUnitOfWork).toConstantValue(options.unitOfWork);
  container.rebind(TOKENS.Authenticator).toConstantValue(options.authenticator);
  container.rebind(TOKENS.CodeLists).toConstantValue(options.codeLists ?? UNCHECKED_CODE_LISTS);
  container.rebind(TOKENS.GatewayMetrics).toConstantValue(options.metrics ?? new GatewayMetrics());
  if (options.tracing !== undefined) container.rebind(TOKENS.RequestTracing).toConstantValue(options.tracing);
  const intake = await container.getAsync(TOKENS.IntakeService);
  return {
    baseUrl: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${intake.address?.port}`,
    close: () => closeContainer(container),
  };
}

/** What an intake test over PostgreSQL stands on; filled in by the fixture's `before`. */
export interface DatabaseWithTokens {
  database: TestDatabase;
  idp: TestIdentityProvider;
  /** A valid bearer token of `idp`. */
  token: string;
}

async function setUp(fixture: DatabaseWithTokens): Promise<void> {
  fixture.database = await createTestDatabase();
  fixture.idp = await TestIdentityProvider.create();
  fixture.token = await fixture.idp.token();
}

/**
 * A fresh database and a token issuer with a valid token, made in mocha's `before`; the database
 * is dropped in `after`. Call inside a `describe`; read the fields inside tests and hooks.
 */
export function databaseWithTokens(): DatabaseWithTokens {
  const fixture = {} as DatabaseWithTokens;
  before(() => setUp(fixture));
  after(() => fixture.database.drop());
  return fixture;
}

/**
 * databaseWithTokens() and the intake over it (production's group-commit unit of work, the
 * issuer's authenticator): started in `before`, closed in `after` before the database is dropped.
 */
export function intakeOverDatabase(
  options: Omit<Parameters<typeof startIntake>[0], 'unitOfWork' | 'authenticator'> = {},
): DatabaseWithTokens & { intake: RunningIntake } {
  const fixture = {} as DatabaseWithTokens & { intake: RunningIntake };
  before(async () => {
    await setUp(fixture);
    fixture.intake = await startIntake({
      ...options,
      unitOfWork: new GroupCommitUnitOfWork(fixture.database.db, {
        maxBatchSize: 100,
        maxConcurrentBatches: 4,
      }),
      authenticator: fixture.idp.authenticator(),
    });
  });
  after(async () => {
    await fixture.intake.close();
    await fixture.database.drop();
  });
  return fixture;
}

export const ORDNINGS_PATH = '/v1/Webservicebesked/SendOrdningsnotifikation';
export const GDPR_PATH = '/v1/Webservicebesked/SendGdprSlettetNotifikation';

export async function post(
  baseUrl: string,
  path: string,
  options: {
    token?: string;
    requestId?: string;
    body?: unknown;
    rawBody?: string;
    contentType?: string;
    headers?: Record<string, string>;
  },
): Promise<{ status: number; headers: Headers; text: string; json: () => Record<string, unknown> }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.requestId !== undefined) headers['x-requestId'] = options.requestId;
  headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers,
    body: options.rawBody ?? JSON.stringify(options.body ?? {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}
