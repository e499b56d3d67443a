/**
 * The server side of `npm run bench:intake`, in its own process so the load generator does not
 * share its event loop. Mode `gateway`: the real intake (JWT auth, validation, group-commit
 * outbox, access log). Mode `minimal`: a hand-written Koa route that only inserts the same row
 * with pg — the peer baseline. Prints `listening <port>` when ready.
 */
import Router from '@koa/router';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, type JWK } from 'jose';
import pino from 'pino';
import { JwtAuthenticator, WRITE_SCOPE } from '../src/adapters/auth/jwt-authenticator';
import { GatewayMetrics } from '../src/adapters/metrics/gateway-metrics';
import { createPool } from '../src/adapters/postgres/connection';
import { KyselyUnitOfWork } from '../test/support/kysely-unit-of-work';
import { loadConfiguration } from '../src/composition/configuration';
import { closeContainer, createContainer } from '../src/composition/container';
import { TOKENS } from '../src/composition/tokens';

const [mode, databaseUrl, jwksJson, issuer, audience] = process.argv.slice(2);
if (mode === undefined || databaseUrl === undefined)
  throw new Error('usage: intake-server <mode> <databaseUrl> …');

if (mode === 'minimal') startMinimal(databaseUrl);
else void startGateway(databaseUrl, mode === 'gateway-per-request-transaction');

function startMinimal(databaseUrl: string): void {
  const pool = createPool({
    connectionString: databaseUrl,
    poolSize: 10,
    connectionTimeoutMs: 5000,
    applicationName: 'bench-minimal',
  });
  const app = new Koa();
  const router = new Router();
  router.post('/v1/Webservicebesked/SendOrdningsnotifikation', bodyParser(), async (ctx) => {
    const n = (ctx.request.body as { ordningsnotifikation: Record<string, string> }).ordningsnotifikation;
    await pool.query(
      `insert into outbox (message_id, request_id, message_type, ekstern_identifier, jobcenter_kode, registrerings_dato,
         aendringstype, client_id, received_at, exchange, routing_key, payload)
       values ($1, $2, 'Ordningsnotifikation', $3, $4, $5, 'Oprettelse', 'bench', now(), 'x', $6, $7)`,
      [
        randomUUID(),
        ctx.get('x-requestId'),
        n.eksternIdentifier,
        n.jobCenterKode,
        n.registreringsDato,
        `ordningsnotifikation.${n.jobCenterKode}`,
        JSON.stringify(ctx.request.body),
      ],
    );
    ctx.status = 200;
    ctx.body = '';
  });
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => {
    server.close();
    void pool.end().then(() => process.exit(0));
  });
}

/** The production container, as `wsb-gateway serve` builds it; only the authenticator is the bench's. */
async function startGateway(databaseUrl: string, perRequestTransaction: boolean): Promise<void> {
  const config = loadConfiguration(
    {
      DATABASE_URL: databaseUrl,
      DB_CONNECT_TIMEOUT_MS: '5000',
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      INTAKE_BATCH_MAX: '100',
      INTAKE_CONCURRENT_BATCHES: process.env.INTAKE_CONCURRENT_BATCHES ?? '2',
      // As before: the bench measures the intake alone, without waking a relay.
      OUTBOX_NOTIFY: 'false',
    },
    { servesHttp: true },
  );
  // The real access log, written where it costs what it costs in production.
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const container = createContainer('serve', config, logger);
  container.rebind(TOKENS.Authenticator).toConstantValue(
    new JwtAuthenticator({
      keys: createLocalJWKSet(JSON.parse(jwksJson ?? '{}') as { keys: JWK[] }),
      issuer: issuer ?? '',
      audience: audience ?? '',
      algorithms: ['RS256'],
      clockToleranceSeconds: 30,
      requiredScope: WRITE_SCOPE,
    }),
  );
  // The request and batch metrics production keeps, without the process metrics' collectors.
  container.rebind(TOKENS.GatewayMetrics).toConstantValue(new GatewayMetrics());
  if (perRequestTransaction) {
    const db = await container.getAsync(TOKENS.IntakeDatabase);
    container.rebind(TOKENS.IntakeUnitOfWork).toConstantValue(new KyselyUnitOfWork(db));
  }
  const intake = await container.getAsync(TOKENS.IntakeService);
  process.stdout.write(`listening ${intake.address?.port}\n`);
  process.on('SIGTERM', () => {
    void closeContainer(container).then(() => process.exit(0));
  });
}
