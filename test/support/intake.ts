import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import { AcceptNotification } from '../../src/application/accept-notification';
import type { UnitOfWork } from '../../src/application/ports';
import type { Authenticator } from '../../src/adapters/auth/jwt-authenticator';
import type { TlsConfiguration } from '../../src/adapters/config/configuration';
import { createIntakeApp } from '../../src/adapters/http/intake-app';
import { createPublicServer, listen } from '../../src/adapters/http/public-server';
import { randomIds, systemClock } from '../../src/adapters/system/system-clock';
import type { RequestTracing } from '../../src/adapters/tracing/request-tracing';
import { type CodeLists, UNCHECKED_CODE_LISTS } from '../../src/domain/code-lists';

export interface RunningIntake {
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** The real intake app on an ephemeral port, wired to the given unit of work and authenticator. */
export async function startIntake(options: {
  unitOfWork: UnitOfWork;
  authenticator: Authenticator;
  codeLists?: CodeLists;
  bodyLimitBytes?: number;
  onRequestFinished?: (route: string, status: number, durationSeconds: number) => void;
  /** HTTPS (and client certificates) as `serve` sets them up; baseUrl is then https://. */
  tls?: TlsConfiguration;
  tracing?: RequestTracing;
  /** The exchange recorded with each row (the relay refuses rows naming another). */
  exchange?: string;
}): Promise<RunningIntake> {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const app = createIntakeApp({
    acceptNotification: new AcceptNotification(
      options.codeLists ?? UNCHECKED_CODE_LISTS,
      options.unitOfWork,
      systemClock,
      randomIds,
      { exchange: options.exchange ?? 'virksomhedsordning.webservicebesked' },
    ),
    authenticator: options.authenticator,
    logger,
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    retryAfterSeconds: 5,
    ...(options.onRequestFinished !== undefined ? { onRequestFinished: options.onRequestFinished } : {}),
    ...(options.tracing !== undefined ? { tracing: options.tracing } : {}),
  });
  const server: Server = await listen(createPublicServer(app, options.tls, logger), 0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
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
