import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ordningsnotifikation } from '../../support/fixtures';
import { type GatewayProcess, runGateway, startGateway } from '../../support/gateway-process';
import { ORDNINGS_PATH, post } from '../../support/intake';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { deleteTopology, uniqueName } from '../../support/rabbitmq';

const ROOT = join(__dirname, '..', '..', '..');

/** Every PromQL expression in the alert rules and the dashboard, with where it comes from. */
function deployedExpressions(): Array<{ where: string; expr: string }> {
  const rules = parse(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yaml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/wsb-gateway.json'), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };
  return [
    ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ];
}

/** Series names and their labels' values, from a text exposition; families without samples too. */
type Exported = Map<string, Map<string, Set<string>>>;
function readExposition(text: string, into: Exported): void {
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type !== null) {
      const [, name, kind] = type as unknown as [string, string, string];
      const names = kind === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      for (const n of names) if (!into.has(n)) into.set(n, new Map());
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (sample === null) continue;
    const [, name, labels] = sample as unknown as [string, string, string | undefined];
    const known = into.get(name) ?? new Map<string, Set<string>>();
    into.set(name, known);
    for (const [, label, value] of (labels ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      const values = known.get(label!) ?? new Set<string>();
      values.add(value!);
      known.set(label!, values);
    }
  }
}

/** Labels Prometheus adds on scrape, or Grafana's variables select on. */
const TARGET_LABELS = new Set(['job', 'instance']);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('deploy/: the alert rules and the dashboard name only what a running gateway and relay export', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let dataDir: string;
  const processes: GatewayProcess[] = [];
  const exchange = uniqueName('wsb.metrics');
  const queue = uniqueName('wsb.metrics.q');
  const exported: Exported = new Map();

  before(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'wsb-metrics-'));
    const [servePort, serveAdmin, relayAdmin] = [await freePort(), await freePort(), await freePort()];
    const common = {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      AMQP_EXCHANGE: exchange,
      AMQP_QUEUES: `${queue}:#:classic`,
      LOG_LEVEL: 'info',
    };
    const serve = startGateway(['serve'], {
      ...common,
      PORT: String(servePort),
      ADMIN_PORT: String(serveAdmin),
    });
    const relay = startGateway(['relay'], { ...common, ADMIN_PORT: String(relayAdmin) });
    processes.push(serve, relay);
    await serve.waitForLog((l) => l.msg === 'intake listening', 60_000);
    await relay.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('connected to RabbitMQ'),
      60_000,
    );
    const token = runGateway(['token'], { DATA_DIR: dataDir }).stdout.trim();
    const accepted = await post(`http://127.0.0.1:${servePort}`, ORDNINGS_PATH, {
      token,
      requestId: 'metrics-1',
      body: ordningsnotifikation(),
    });
    expect(accepted.status).to.equal(200);
    // Scrape once the relay has published it, so that its histograms carry samples.
    const deadline = Date.now() + 30_000;
    while (
      !/^wsb_outbox_delivered_total [1-9]/m.test(
        await (await fetch(`http://127.0.0.1:${relayAdmin}/metrics`)).text(),
      )
    ) {
      if (Date.now() > deadline) throw new Error('the relay did not deliver within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const port of [serveAdmin, relayAdmin]) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).to.equal(200);
      readExposition(await response.text(), exported);
    }
  });

  after(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    await deleteTopology(exchange, [queue]);
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  });

  it('every metric they name is exported', () => {
    const missing: string[] = [];
    for (const { where, expr } of deployedExpressions()) {
      for (const [name] of expr.matchAll(/\bwsb_[a-z0-9_]+/g)) {
        if (!exported.has(name)) missing.push(`${where}: ${name}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('every label they select or group by is exported on that metric, with the value they match', () => {
    const wrong: string[] = [];
    for (const { where, expr } of deployedExpressions()) {
      const metricsHere = [...expr.matchAll(/\b(wsb_[a-z0-9_]+)(?:\{([^}]*)\})?/g)];
      for (const [, name, matchers] of metricsHere) {
        const labels = exported.get(name!) ?? new Map<string, Set<string>>();
        for (const [, label, op, value] of (matchers ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
          if (TARGET_LABELS.has(label!)) continue;
          const values = labels.get(label!);
          if (values === undefined) wrong.push(`${where}: ${name} has no label ${label}`);
          else if (op === '=' && !values.has(value!))
            wrong.push(`${where}: ${name}{${label}="${value}"} is never exported`);
        }
      }
      for (const [, grouping] of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
        for (const label of grouping!
          .split(',')
          .map((l) => l.trim())
          .filter((l) => l !== '')) {
          if (TARGET_LABELS.has(label)) continue;
          const carried = metricsHere.some(([, name]) => exported.get(name!)?.has(label) === true);
          if (!carried) wrong.push(`${where}: grouped by ${label}, which none of its metrics carries`);
        }
      }
    }
    expect(wrong).to.deep.equal([]);
  });
});
