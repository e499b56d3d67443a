import type { OutboxEntry, Page } from '../../../application/operations/ports';
import { type Html, html } from '../html';
import { layout, type PageContext, time } from './layout';

/** The list's filters as the query string carries them (CONTRACT §6 names). */
export interface MessageFilters {
  readonly requestId: string;
  readonly messageId: string;
  readonly eksternIdentifier: string;
  readonly jobcenterKode: string;
  readonly type: string;
  readonly status: string;
  readonly from: string;
  readonly to: string;
}

export const MESSAGE_FILTER_NAMES: readonly (keyof MessageFilters)[] = [
  'requestId',
  'messageId',
  'eksternIdentifier',
  'jobcenterKode',
  'type',
  'status',
  'from',
  'to',
];

const STATUSES: ReadonlyArray<readonly [string, string]> = [
  ['undelivered', 'Not delivered (pending or parked)'],
  ['pending', 'Pending'],
  ['parked', 'Parked'],
  ['delivered', 'Delivered'],
  ['any', 'Any status'],
];
const TYPES: ReadonlyArray<readonly [string, string]> = [
  ['', 'Any type'],
  ['Ordningsnotifikation', 'Ordningsnotifikation'],
  ['GdprSlettetNotifikation', 'GdprSlettetNotifikation'],
];

function options(choices: ReadonlyArray<readonly [string, string]>, selected: string): Html[] {
  return choices.map(
    ([value, label]) =>
      html`<option value="${value}" ${value === selected ? html`selected` : ''}>${label}</option>`,
  );
}

function field(name: keyof MessageFilters, label: string, filters: MessageFilters, type = 'text'): Html {
  return html`<div class="field">
    <label for="f-${name}">${label}</label
    ><input id="f-${name}" name="${name}" type="${type}" value="${filters[name]}" />
  </div>`;
}

export function statusBadge(entry: OutboxEntry): Html {
  return html`<span class="status status-${entry.status}">${entry.status}</span>`;
}

export function messageRows(entries: readonly OutboxEntry[]): Html {
  return html`${entries.map(
    (e) =>
      html`<tr>
        <td><a href="/messages/${e.messageId}">${e.messageId}</a></td>
        <td>${e.requestId}</td>
        <td>${e.kind}</td>
        <td><a href="/entities/${e.eksternIdentifier}">${e.eksternIdentifier}</a></td>
        <td>${e.jobCenterKode}</td>
        <td>${statusBadge(e)}</td>
        <td>${e.attempts}</td>
        <td>${time(e.receivedAt)}</td>
      </tr>`,
  )}`;
}

export function messageTable(caption: string, entries: readonly OutboxEntry[]): Html {
  if (entries.length === 0) return html`<p>No messages.</p>`;
  return html`<table>
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        <th scope="col">Message id</th>
        <th scope="col">Request id</th>
        <th scope="col">Type</th>
        <th scope="col">eksternIdentifier</th>
        <th scope="col">Jobcenter</th>
        <th scope="col">Status</th>
        <th scope="col">Attempts</th>
        <th scope="col">Received (UTC)</th>
      </tr>
    </thead>
    <tbody>
      ${messageRows(entries)}
    </tbody>
  </table>`;
}

export function messagesPage(
  page: PageContext,
  filters: MessageFilters,
  result: Page<OutboxEntry> | { readonly problem: string },
): Html {
  const next =
    'items' in result && result.next !== null
      ? (() => {
          const query = new URLSearchParams();
          for (const name of MESSAGE_FILTER_NAMES) if (filters[name] !== '') query.set(name, filters[name]);
          query.set('after', result.next);
          return html`<p><a rel="next" href="/messages?${query.toString()}">Next page (older)</a></p>`;
        })()
      : '';
  return layout(
    page,
    'Messages',
    html`<form method="get" action="/messages" class="filters" role="search" aria-label="Search messages">
        ${field('requestId', 'Request id', filters)} ${field('messageId', 'Message id', filters)}
        ${field('eksternIdentifier', 'eksternIdentifier', filters)}
        ${field('jobcenterKode', 'Jobcenter code', filters)}
        <div class="field">
          <label for="f-type">Type</label
          ><select id="f-type" name="type">
            ${options(TYPES, filters.type)}
          </select>
        </div>
        <div class="field">
          <label for="f-status">Status</label
          ><select id="f-status" name="status">
            ${options(STATUSES, filters.status)}
          </select>
        </div>
        ${field('from', 'Received from (UTC)', filters, 'datetime-local')}
        ${field('to', 'Received before (UTC)', filters, 'datetime-local')}
        <div class="field"><button type="submit">Search</button></div>
      </form>
      ${
        'problem' in result
          ? html`<p class="problem" role="alert">${result.problem}</p>`
          : html`${messageTable('Messages, newest first', result.items)}${next}`
      }`,
  );
}
