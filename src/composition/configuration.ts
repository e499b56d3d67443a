import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import type { TlsConfiguration } from '../adapters/http/public-server';
import type { QueueSpec } from '../adapters/rabbitmq/topology';
import { type Env, EnvReader } from './environment-reader';

/**
 * Over 330 lines: one typed field and one validated reading per setting of docs/configuration.md.
 * Configuration from environment variables, validated at start with one clear message per bad
 * value. docs/configuration.md documents every variable read here.
 */
export interface Configuration {
  readonly nodeEnv: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly dbPoolSize: number;
  readonly dbConnectTimeoutMs: number;
  readonly amqpUrl: string;
  readonly amqpExchange: string;
  readonly amqpQueues: readonly QueueSpec[];
  readonly port: number;
  readonly host: string;
  readonly adminPort: number;
  /** The admin port's interface (ADMIN_HOST), HOST unless set: it may stay internal. */
  readonly adminHost: string;
  readonly bodyLimitBytes: number;
  readonly auth: AuthConfiguration;
  readonly codeListsFile: string | undefined;
  readonly logLevel: string;
  /** LOG_FORMAT: `pretty` (pino-pretty), `json`, or `auto` (pretty when stdout is a terminal). */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  readonly intakeBatchMax: number;
  readonly intakeConcurrentBatches: number;
  /** How long intake tries to find out whether a batch whose COMMIT answer was lost is stored. */
  readonly intakeInDoubtTimeoutMs: number;
  readonly retryAfterSeconds: number;
  readonly appId: string;
  /** Days a delivered Ordningsnotifikation keeps its payload (PAYLOAD_RETENTION_DAYS). */
  readonly payloadRetentionDays: number;
  /** Seconds between redaction sweeps in the relay (REDACTION_INTERVAL_SECONDS; 0 = no sweeps). */
  readonly redactionIntervalSeconds: number;
  readonly redactionBatchSize: number;
  /** HTTPS on the public port; undefined = plain HTTP (TLS terminated in front of the gateway). */
  readonly tls: TlsConfiguration | undefined;
  readonly relay: RelayConfiguration;
  readonly console: ConsoleConfiguration;
  /** LATENCY_TRACE_FILE: where this process appends the latency budget's timestamps; unset = off. */
  readonly latencyTraceFile: string | undefined;
}

/** The console (`wsb-gateway console`, and `start`); docs/console.md explains each. */
export interface ConsoleConfiguration {
  readonly port: number;
  /** OpenID Connect sign-in; undefined = development mode (refused when NODE_ENV=production). */
  readonly oidc: ConsoleOidcConfiguration | undefined;
  /** The console's address as browsers reach it; `https:` makes its cookies Secure. */
  readonly publicUrl: string | undefined;
  /** Signs the session cookie; a random one per process when unset (development mode only). */
  readonly sessionSecret: string | undefined;
  readonly sessionIdleSeconds: number;
  readonly sessionMaxSeconds: number;
}

export interface ConsoleOidcConfiguration {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly publicUrl: string;
  readonly roleClaim: string;
}

/** The relay worker's knobs; docs/relay.md explains each. */
export interface RelayConfiguration {
  readonly batchSize: number;
  readonly inFlightBatches: number;
  readonly chainLength: number;
  readonly claimMaxRows: number;
  readonly idlePollMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly confirmTimeoutMs: number;
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** Intake sends one NOTIFY per committed batch so that an idle relay wakes at once. */
  readonly outboxNotify: boolean;
}

export type AuthConfiguration =
  | {
      readonly mode: 'jwks';
      readonly jwksUrl: string | undefined;
      readonly jwksFile: string | undefined;
      readonly issuer: string;
      readonly audience: string;
      readonly algorithms: readonly string[];
      readonly clockToleranceSeconds: number;
    }
  | { readonly mode: 'development' };

export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * Runs `listen` for the port `setting` configures; a port that cannot be had becomes a configuration
 * error naming the setting that moves it (exit 78), not a bare EADDRINUSE.
 */
export async function listenOn<T>(
  setting: string,
  port: number,
  host: string,
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE') {
      throw new ConfigurationError([
        `${setting}: port ${port} on ${host} is already in use (another gateway process?); set ${setting} to a free port`,
      ]);
    }
    if (code === 'EACCES') {
      throw new ConfigurationError([
        `${setting}: this user may not listen on port ${port}; set ${setting} to a port above 1023`,
      ]);
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new ConfigurationError([`HOST: ${host} is not an address of this machine; set HOST`]);
    }
    throw error;
  }
}

export const DEFAULT_EXCHANGE = 'virksomhedsordning.webservicebesked';
export const DEFAULT_QUEUES = 'virksomhedsordning.webservicebesked.kss:#';
export const DEFAULT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const ASYMMETRIC = new Set(DEFAULT_ALGORITHMS);

/**
 * `servesHttp`: the command answers VITAS (serve, start), so authentication must be configured in
 * production; the relay and operator commands need none.
 */
export function loadConfiguration(
  env: Env = process.env,
  options: { servesHttp: boolean; servesConsole?: boolean } = { servesHttp: true },
): Configuration {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);

  const auth = readAuth(read, env, options.servesHttp ? problems : []);
  const host = read.string('HOST', '0.0.0.0');
  const config: Configuration = {
    nodeEnv: env.NODE_ENV ?? 'development',
    databaseUrl: read.optionalUrl('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: read.string('DATA_DIR', '.data'),
    dbPoolSize: read.integer('DB_POOL_SIZE', 10, 1, 1000),
    dbConnectTimeoutMs: read.integer('DB_CONNECT_TIMEOUT_MS', 2000, 100, 600_000),
    amqpUrl: read.optionalUrlList('AMQP_URL', ['amqp:', 'amqps:']) ?? 'amqp://guest:guest@127.0.0.1:5672',
    amqpExchange: read.string('AMQP_EXCHANGE', DEFAULT_EXCHANGE),
    amqpQueues: parseQueues(read.string('AMQP_QUEUES', DEFAULT_QUEUES, true), problems),
    port: read.integer('PORT', 8080, 0, 65535),
    host,
    adminPort: read.integer('ADMIN_PORT', 9090, 0, 65535),
    adminHost: read.string('ADMIN_HOST', host),
    bodyLimitBytes: read.integer('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    auth,
    codeListsFile: env.CODE_LISTS_FILE === '' ? undefined : env.CODE_LISTS_FILE,
    logLevel: read.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    logFormat: read.oneOf('LOG_FORMAT', 'auto', ['auto', 'json', 'pretty']) as Configuration['logFormat'],
    intakeBatchMax: read.integer('INTAKE_BATCH_MAX', 100, 1, 1000),
    intakeConcurrentBatches: read.integer('INTAKE_CONCURRENT_BATCHES', 2, 1, 100),
    intakeInDoubtTimeoutMs: read.integer('INTAKE_IN_DOUBT_TIMEOUT_MS', 5000, 0, 600_000),
    retryAfterSeconds: read.integer('RETRY_AFTER_SECONDS', 5, 1, 3600),
    appId: read.string('AMQP_APP_ID', 'wsb-gateway'),
    payloadRetentionDays: read.integer('PAYLOAD_RETENTION_DAYS', 30, 0, 36_500),
    redactionIntervalSeconds: read.integer('REDACTION_INTERVAL_SECONDS', 60, 0, 86_400),
    redactionBatchSize: read.integer('REDACTION_BATCH_SIZE', 500, 1, 10_000),
    tls: readTls(env, problems),
    relay: {
      batchSize: read.integer('RELAY_BATCH_SIZE', 500, 1, 10_000),
      inFlightBatches: read.integer('RELAY_IN_FLIGHT_BATCHES', 6, 1, 50),
      chainLength: read.integer('RELAY_CHAIN_LENGTH', 128, 1, 10_000),
      claimMaxRows: read.integer('RELAY_CLAIM_MAX_ROWS', 4000, 1, 100_000),
      idlePollMs: read.integer('RELAY_IDLE_POLL_MS', 100, 1, 600_000),
      retryBaseMs: read.integer('RELAY_RETRY_BASE_MS', 1000, 1, 3_600_000),
      retryMaxMs: read.integer('RELAY_RETRY_MAX_MS', 60_000, 1, 86_400_000),
      confirmTimeoutMs: read.integer('RELAY_CONFIRM_TIMEOUT_MS', 30_000, 100, 3_600_000),
      reconnectBaseMs: read.integer('AMQP_RECONNECT_BASE_MS', 500, 1, 3_600_000),
      reconnectMaxMs: read.integer('AMQP_RECONNECT_MAX_MS', 30_000, 1, 3_600_000),
      outboxNotify: read.boolean('OUTBOX_NOTIFY', true),
    },
    console: readConsole(read, env, options.servesConsole === true ? problems : []),
    latencyTraceFile: readLatencyTraceFile(env, problems),
  };
  if (config.nodeEnv === 'production' && (env.DATABASE_URL ?? '') === '') {
    problems.push(
      'DATABASE_URL is required when NODE_ENV=production (the embedded database is for trying the gateway out)',
    );
  }
  if (config.dbPoolSize <= config.intakeConcurrentBatches) {
    problems.push(
      `DB_POOL_SIZE (${config.dbPoolSize}) must be larger than INTAKE_CONCURRENT_BATCHES (${config.intakeConcurrentBatches}), so that intake batches leave connections for everything else`,
    );
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return config;
}

function readAuth(read: EnvReader, env: Env, problems: string[]): AuthConfiguration {
  const jwksUrl = read.optionalUrl('AUTH_JWKS_URL', ['https:', 'http:']);
  const jwksFile = env.AUTH_JWKS_FILE === '' ? undefined : env.AUTH_JWKS_FILE;
  const issuer = env.AUTH_ISSUER === '' ? undefined : env.AUTH_ISSUER;
  const audience = env.AUTH_AUDIENCE === '' ? undefined : env.AUTH_AUDIENCE;
  const anyAuth =
    jwksUrl !== undefined || jwksFile !== undefined || issuer !== undefined || audience !== undefined;
  if (!anyAuth) {
    if (env.NODE_ENV === 'production') {
      problems.push(
        'no authentication is configured (AUTH_JWKS_URL or AUTH_JWKS_FILE, AUTH_ISSUER, AUTH_AUDIENCE) and NODE_ENV=production: development-mode auth is refused in production',
      );
    }
    return { mode: 'development' };
  }
  if (jwksUrl === undefined && jwksFile === undefined)
    problems.push('AUTH_JWKS_URL or AUTH_JWKS_FILE is required when auth is configured');
  if (jwksUrl !== undefined && jwksFile !== undefined)
    problems.push('set AUTH_JWKS_URL or AUTH_JWKS_FILE, not both');
  if (issuer === undefined) problems.push('AUTH_ISSUER is required when auth is configured');
  if (audience === undefined) problems.push('AUTH_AUDIENCE is required when auth is configured');
  const algorithms = (env.AUTH_ALGORITHMS ?? DEFAULT_ALGORITHMS.join(','))
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  for (const alg of algorithms) {
    if (!ASYMMETRIC.has(alg)) {
      problems.push(
        `AUTH_ALGORITHMS: "${alg}" is not allowed; choose from ${DEFAULT_ALGORITHMS.join(', ')} (never none or HMAC)`,
      );
    }
  }
  if (algorithms.length === 0) problems.push('AUTH_ALGORITHMS must name at least one algorithm');
  return {
    mode: 'jwks',
    jwksUrl,
    jwksFile,
    issuer: issuer ?? '',
    audience: audience ?? '',
    algorithms,
    clockToleranceSeconds: read.integer('AUTH_CLOCK_TOLERANCE_SECONDS', 30, 0, 600),
  };
}

function readConsole(read: EnvReader, env: Env, problems: string[]): ConsoleConfiguration {
  const given = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const issuer = read.optionalUrl('CONSOLE_OIDC_ISSUER', ['https:', 'http:']);
  const publicUrl = read.optionalUrl('CONSOLE_PUBLIC_URL', ['https:', 'http:']);
  const sessionSecret = given('CONSOLE_SESSION_SECRET');
  const clientId = given('CONSOLE_OIDC_CLIENT_ID');
  const clientSecret = given('CONSOLE_OIDC_CLIENT_SECRET');
  let oidc: ConsoleOidcConfiguration | undefined;
  if (issuer === undefined) {
    if (env.NODE_ENV === 'production') {
      problems.push(
        'the console has no sign-in configured (CONSOLE_OIDC_ISSUER, CONSOLE_OIDC_CLIENT_ID, CONSOLE_OIDC_CLIENT_SECRET, CONSOLE_PUBLIC_URL, CONSOLE_SESSION_SECRET) and NODE_ENV=production: development sign-in is refused in production',
      );
    }
  } else {
    if (clientId === undefined) problems.push('CONSOLE_OIDC_CLIENT_ID is required with CONSOLE_OIDC_ISSUER');
    if (clientSecret === undefined)
      problems.push('CONSOLE_OIDC_CLIENT_SECRET is required with CONSOLE_OIDC_ISSUER');
    if (publicUrl === undefined) problems.push('CONSOLE_PUBLIC_URL is required with CONSOLE_OIDC_ISSUER');
    if (sessionSecret === undefined)
      problems.push('CONSOLE_SESSION_SECRET is required with CONSOLE_OIDC_ISSUER');
    oidc = {
      issuer,
      clientId: clientId ?? '',
      clientSecret: clientSecret ?? '',
      publicUrl: publicUrl ?? '',
      roleClaim: read.string('CONSOLE_ROLE_CLAIM', 'roles'),
    };
  }
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    problems.push('CONSOLE_SESSION_SECRET must be at least 32 characters');
  }
  return {
    port: read.integer('CONSOLE_PORT', 8081, 0, 65535),
    oidc,
    publicUrl,
    sessionSecret,
    sessionIdleSeconds: read.integer('CONSOLE_SESSION_IDLE_SECONDS', 1800, 10, 86_400),
    sessionMaxSeconds: read.integer('CONSOLE_SESSION_MAX_SECONDS', 28_800, 60, 604_800),
  };
}

/**
 * LATENCY_TRACE_FILE, checked at start: its folder must be writable, or the trace's file stream
 * would fail later, where nothing listens for it, and take the process down.
 */
function readLatencyTraceFile(env: Env, problems: string[]): string | undefined {
  const value = env.LATENCY_TRACE_FILE;
  if (value === undefined || value === '') return undefined;
  try {
    accessSync(dirname(value), constants.W_OK);
  } catch {
    problems.push(`LATENCY_TRACE_FILE: cannot write in the folder of ${value}`);
  }
  return value;
}
function readTls(env: Env, problems: string[]): TlsConfiguration | undefined {
  const file = (name: string): string | undefined => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    try {
      accessSync(value, constants.R_OK);
    } catch {
      problems.push(`${name}: cannot read ${value}`);
    }
    return value;
  };
  const certFile = file('TLS_CERT_FILE');
  const keyFile = file('TLS_KEY_FILE');
  const clientCaFile = file('TLS_CLIENT_CA_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE go together: set both or neither');
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    if (clientCaFile !== undefined) problems.push('TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE');
    return undefined;
  }
  return { certFile, keyFile, clientCaFile };
}

/** `AMQP_QUEUES`: comma-separated `name:bindingKey[:classic|quorum]`; empty (or `none`) declares none. */
export function parseQueues(value: string, problems: string[]): QueueSpec[] {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  const queues: QueueSpec[] = [];
  for (const entry of trimmed.split(',')) {
    const parts = entry.trim().split(':');
    const [name, bindingKey, type = 'quorum'] = parts;
    if (
      parts.length < 2 ||
      parts.length > 3 ||
      name === undefined ||
      name === '' ||
      bindingKey === undefined ||
      bindingKey === ''
    ) {
      problems.push(`AMQP_QUEUES: "${entry.trim()}" is not name:bindingKey[:quorum|classic]`);
      continue;
    }
    if (type !== 'quorum' && type !== 'classic') {
      problems.push(`AMQP_QUEUES: queue type "${type}" for ${name} is neither quorum nor classic`);
      continue;
    }
    queues.push({ name, bindingKey, type });
  }
  return queues;
}
