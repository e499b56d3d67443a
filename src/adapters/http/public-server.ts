import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { problems } from './problem';

export interface TlsConfiguration {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must present a certificate issued by this CA. */
  readonly clientCaFile: string | undefined;
}

/**
 * The public intake's server: plain HTTP, or HTTPS when a certificate is configured; with a client
 * CA, only clients presenting a certificate it issued complete the handshake, and the intake
 * records the certificate's subject with each message.
 */
export function createPublicServer(app: Koa, tls: TlsConfiguration | undefined, logger: Logger): http.Server {
  const server = createServer(app, tls);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(error, socket, logger),
  );
  return server;
}

function createServer(app: Koa, tls: TlsConfiguration | undefined): http.Server {
  const handler = app.callback();
  if (tls === undefined) return http.createServer(handler);
  const options: https.ServerOptions = {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    minVersion: 'TLSv1.2',
  };
  if (tls.clientCaFile !== undefined) {
    options.ca = readFileSync(tls.clientCaFile);
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return https.createServer(options, handler);
}

export function listen(server: http.Server, port: number, host: string): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Node's parser errors, by the status they answer. */
const CLIENT_ERROR_STATUS: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADERS_TIMEOUT: 408,
  ERR_HTTP_HEADERS_TIMEOUT: 408,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
};

/**
 * A request Node's HTTP parser refuses never reaches Koa: malformed syntax, headers over the
 * limit, a request that took too long. It still gets a problem+json answer (Node's own is a bare
 * status line) and one JSON log line with the parser's code — never its dump of the bytes.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  const code = error.code ?? 'unknown';
  if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[code] ?? 400;
  const problem = { ...problems.unparseableRequest(status, REASONS[status] ?? 'Bad Request') };
  const body = JSON.stringify(problem);
  logger.warn({ status, code }, 'request refused by the HTTP parser');
  socket.end(
    `HTTP/1.1 ${status} ${problem.title}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
