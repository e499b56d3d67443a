import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type Koa from 'koa';
import type { TlsConfiguration } from '../config/configuration';

/**
 * The public intake's server: plain HTTP, or HTTPS when a certificate is configured; with a client
 * CA, only clients presenting a certificate it issued complete the handshake, and the intake
 * records the certificate's subject with each message.
 */
export function createPublicServer(app: Koa, tls: TlsConfiguration | undefined): http.Server {
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
