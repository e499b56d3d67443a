import { Agent, request } from 'node:http';
import { ORDNINGS_PATH } from '../../test/support/intake';
import { ordningsnotifikation } from '../../test/support/fixtures';
import type { TestConsumer } from '../../test/support/rabbitmq';

/**
 * HTTP 200 → consumer receipt of each message, ms, sorted. Requests are named `<prefix>-<i>`, sent
 * at `rate` from `started`; those of the first second (i < rate) warm up JIT, pools and connections
 * and are reported apart. `slow` lists the counted ones over 50 ms (index@sent-offset:latency).
 */
export function latencyOf(
  consumer: TestConsumer,
  okAt: ReadonlyMap<string, number>,
  rate: number,
  started: number,
): { latencies: number[]; warmUp: number[]; slow: string[] } {
  const latencies: number[] = [];
  const warmUp: number[] = [];
  const slow: string[] = [];
  consumer.messages.forEach((m, i) => {
    const id = m.properties.correlationId as string;
    const sent = okAt.get(id);
    const received = consumer.receivedAt[i];
    if (sent === undefined || received === undefined) return;
    const index = Number(id.split('-').at(-1));
    if (index < rate) warmUp.push(received - sent);
    else latencies.push(received - sent);
    if (received - sent > 50 && index >= rate)
      slow.push(`${index}@${(sent - started).toFixed(0)}ms:${(received - sent).toFixed(0)}`);
  });
  warmUp.sort((x, y) => x - y);
  latencies.sort((x, y) => x - y);
  return { latencies, warmUp, slow };
}

/**
 * Posts one request every 1/rate s, each its own new entity, until `until()` says stop; records
 * when each request got its 200. Never waits for an answer before sending the next.
 */
export async function postPaced(options: {
  baseUrl: string;
  token: string;
  rate: number;
  prefix: string;
  jobCenterKode?: string;
  /** Stop before sending another; `sent` is how many were sent so far. */
  until: (sent: number) => boolean;
}): Promise<{ okAt: Map<string, number>; failed: number; statuses: Record<string, number> }> {
  const okAt = new Map<string, number>();
  const statuses: Record<string, number> = {};
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  // node:http with kept-alive connections: lighter on this process than fetch, so that the times it
  // records wait less for its own event loop.
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const url = new URL(`${options.baseUrl}${ORDNINGS_PATH}`);
  const started = performance.now();
  for (let i = 0; !options.until(i); i++) {
    const wait = started + (i * 1000) / options.rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const requestId = `${options.prefix}-${i}`;
    const body = ordningsnotifikation({
      eksternIdentifier: crypto.randomUUID(),
      ...(options.jobCenterKode === undefined ? {} : { jobCenterKode: options.jobCenterKode }),
    });
    const sent = post(
      agent,
      url,
      {
        authorization: `Bearer ${options.token}`,
        'x-requestId': requestId,
        'content-type': 'application/json',
      },
      JSON.stringify(body),
    ).then(
      (status) => {
        if (status === 200) okAt.set(requestId, performance.now());
        else {
          failed++;
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      },
      (error: unknown) => {
        failed++;
        const cause = error instanceof Error ? error.message : String(error);
        statuses[`error: ${cause}`] = (statuses[`error: ${cause}`] ?? 0) + 1;
      },
    );
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return { okAt, failed, statuses };
}

/** POSTs `body`; resolves with the status once the whole answer is read. */
function post(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}
