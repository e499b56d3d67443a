import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ordningsnotifikation } from '../../support/fixtures';
import { type GatewayProcess, runGateway, startGateway } from '../../support/gateway-process';
import { ORDNINGS_PATH, post } from '../../support/intake';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** `serve` with OTEL_EXPORTER_OTLP_ENDPOINT exports its spans over OTLP/HTTP; without it, sends nothing. */
describe('OpenTelemetry export from wsb-gateway serve (OTLP/HTTP)', function () {
  this.timeout(90_000);
  let database: TestDatabase;
  let dataDir: string;
  let collector: Server;
  let endpoint: string;
  const exports: Array<{ path: string; contentType: string | undefined; bytes: number }> = [];
  const gateways: GatewayProcess[] = [];

  before(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'wsb-otlp-'));
    collector = createServer((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        exports.push({ path: request.url ?? '', contentType: request.headers['content-type'], bytes });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const g of gateways) await g.stop('SIGKILL');
    collector?.close();
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  });

  async function serveAndPost(env: Record<string, string | undefined>, requestId: string): Promise<void> {
    const gateway = startGateway(['serve'], {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
      ...env,
    });
    gateways.push(gateway);
    const listening = await gateway.waitForLog((l) => l.msg === 'intake listening', 60_000);
    const port = (listening.address as { port: number }).port;
    const token = runGateway(['token'], { DATA_DIR: dataDir }).stdout.trim();
    const response = await post(`http://127.0.0.1:${port}`, ORDNINGS_PATH, {
      token,
      requestId,
      body: ordningsnotifikation(),
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    expect(response.status).to.equal(200);
    // SIGTERM shuts the tracer provider down, which flushes the batch.
    expect(await gateway.stop('SIGTERM')).to.equal(0);
  }

  it('sends nothing when OTEL_EXPORTER_OTLP_ENDPOINT is not set', async () => {
    await serveAndPost({}, 'otlp-off-1');
    expect(exports).to.deep.equal([]);
  });

  it('posts the spans to <endpoint>/v1/traces when it is set', async () => {
    await serveAndPost({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, 'otlp-on-1');
    expect(exports.map((e) => e.path)).to.include('/v1/traces');
    expect(exports.find((e) => e.path === '/v1/traces')?.bytes).to.be.greaterThan(0);
  });
});
