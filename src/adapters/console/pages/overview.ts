import type {
  ConnectedProcess,
  DeliveryMinute,
  OutboxStatistics,
} from '../../../application/operations/ports';
import { type Html, html } from '../html';
import { formatAge, layout, type PageContext, time } from './layout';

export interface OverviewData {
  readonly statistics: OutboxStatistics;
  readonly minutes: readonly DeliveryMinute[];
  readonly processes: readonly ConnectedProcess[];
}

/**
 * Delivered (all time) as shown: the count, or "about" the database's estimate to three significant
 * figures once the history is too long to count every few seconds (OutboxReadModel.statistics).
 */
export function deliveredFigure(s: OutboxStatistics): string {
  const n = s.countByStatus.delivered;
  return s.deliveredEstimated ? `about ${Number(n.toPrecision(3)).toLocaleString('en')}` : String(n);
}

/** What the overview's script polls: the figures and the chart series, as JSON. */
export function overviewJson(data: OverviewData): unknown {
  return {
    pending: data.statistics.countByStatus.pending,
    parked: data.statistics.countByStatus.parked,
    delivered: data.statistics.countByStatus.delivered,
    deliveredEstimated: data.statistics.deliveredEstimated,
    deliveredText: deliveredFigure(data.statistics),
    oldestPendingAge: formatAge(data.statistics.oldestPendingAgeSeconds),
    blockedEntities: data.statistics.blockedEntities,
    series: {
      minute: data.minutes.map((m) => m.minute.getTime() / 1000),
      delivered: data.minutes.map((m) => m.delivered),
      delayP50: data.minutes.map((m) => m.delayP50Seconds),
      delayP95: data.minutes.map((m) => m.delayP95Seconds),
    },
    processes: data.processes.map((p) => ({
      applicationName: p.applicationName,
      clientAddress: p.clientAddress,
      pid: p.pid,
      connections: p.connections,
      since: p.since.toISOString(),
    })),
  };
}

function figure(id: string, label: string, value: string | number): Html {
  return html`<div class="figure">
    <dt>${label}</dt>
    <dd id="${id}">${value}</dd>
  </div>`;
}

export function overviewPage(page: PageContext, data: OverviewData): Html {
  const s = data.statistics;
  return layout(
    page,
    'Overview',
    html`<section aria-labelledby="h-backlog" class="live" data-live="/overview.json">
        <h2 id="h-backlog">Backlog</h2>
        <dl class="figures">
          ${figure('fig-pending', 'Pending', s.countByStatus.pending)}
          ${figure('fig-parked', 'Parked', s.countByStatus.parked)}
          ${figure('fig-oldest', 'Oldest pending', formatAge(s.oldestPendingAgeSeconds))}
          ${figure('fig-blocked', 'Blocked entities', s.blockedEntities)}
          ${figure('fig-delivered', 'Delivered (all time)', deliveredFigure(s))}
        </dl>
        ${
          s.deliveredEstimated
            ? html`<p class="hint" id="delivered-estimated">
                Delivered (all time) is the database's estimate from its statistics, not a count:
                <code>wsb-gateway outbox stats</code> counts exactly.
              </p>`
            : null
        }
        <p class="hint" id="live-status" aria-live="polite">Updates every 5 seconds.</p>
      </section>
      <section aria-labelledby="h-charts">
        <h2 id="h-charts">Last three hours</h2>
        <figure>
          <div
            class="chart"
            id="chart-delivered"
            role="img"
            aria-label="Chart: messages delivered per minute"
          ></div>
          <figcaption>Delivered per minute</figcaption>
        </figure>
        <figure>
          <div
            class="chart"
            id="chart-delay"
            role="img"
            aria-label="Chart: delay from received to delivered, p50 and p95, in seconds"
          ></div>
          <figcaption>Delay received → delivered (seconds, p50 and p95)</figcaption>
        </figure>
      </section>
      <section aria-labelledby="h-processes">
        <h2 id="h-processes">Connected processes</h2>
        <table id="processes">
          <caption>
            Gateway processes connected to the database now
          </caption>
          <thead>
            <tr>
              <th scope="col">Process</th>
              <th scope="col">Client address</th>
              <th scope="col">Backend pid</th>
              <th scope="col">Connections</th>
              <th scope="col">Since (UTC)</th>
            </tr>
          </thead>
          <tbody>
            ${data.processes.map(
              (p) =>
                html`<tr>
                  <td>${p.applicationName}</td>
                  <td>${p.clientAddress ?? 'local'}</td>
                  <td>${p.pid}</td>
                  <td>${p.connections}</td>
                  <td>${time(p.since)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>`,
  );
}
