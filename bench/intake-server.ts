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
import pino from 'pino';
import { createLocalJWKSet, type JWK } from 'jose';
import { AcceptNotification } from '../src/application/intake/accept-notification';
import { JwtAuthenticator, WRITE_SCOPE } from '../src/adapters/auth/jwt-authenticator';
import { createIntakeApp } from '../src/adapters/http/intake-app';
import { createKysely, createPool } from '../src/adapters/postgres/connection';
import { GroupCommitUnitOfWork } from '../src/adapters/postgres/group-commit-unit-of-work';
import { KyselyUnitOfWork } from '../src/adapters/postgres/kysely-unit-of-work';
import { randomIds, systemClock } from '../src/adapters/system/system-clock';
import { UNCHECKED_CODE_LISTS } from '../src/domain/code-lists';

const [mode, databaseUrl, jwksJson, issuer, audience] = process.argv.slice(2);
if (mode === undefined || databaseUrl === undefined)
  throw new Error('usage: intake-server <mode> <databaseUrl> …');

const pool = createPool({
  connectionString: databaseUrl,
  poolSize: 10,
  connectionTimeoutMs: 5000,
  applicationName: `bench-${mode}`,
});
let app: Koa;

if (mode === 'minimal') {
  app = new Koa();
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
} else {
  const db = createKysely(pool);
  const unitOfWork =
    mode === 'gateway-per-request-transaction'
      ? new KyselyUnitOfWork(db)
      : new GroupCommitUnitOfWork(db, {
          maxBatchSize: 100,
          maxConcurrentBatches: Number(process.env.INTAKE_CONCURRENT_BATCHES ?? 2),
        });
  app = createIntakeApp({
    acceptNotification: new AcceptNotification(UNCHECKED_CODE_LISTS, unitOfWork, systemClock, randomIds, {
      exchange: 'virksomhedsordning.webservicebesked',
    }),
    authenticator: new JwtAuthenticator({
      keys: createLocalJWKSet(JSON.parse(jwksJson ?? '{}') as { keys: JWK[] }),
      issuer: issuer ?? '',
      audience: audience ?? '',
      algorithms: ['RS256'],
      clockToleranceSeconds: 30,
      requiredScope: WRITE_SCOPE,
    }),
    // The real access log, written where it costs what it costs in production.
    logger: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })),
    bodyLimitBytes: 1024 * 1024,
    retryAfterSeconds: 5,
  });
}

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
