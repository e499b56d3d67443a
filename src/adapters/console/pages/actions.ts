import type { Page, RecordedAction } from '../../../application/operations/ports';
import { type Html, html } from '../html';
import { layout, type PageContext, time } from './layout';

export interface ActionFilters {
  readonly actor: string;
  readonly action: string;
  readonly messageId: string;
  readonly since: string;
}

const KINDS = ['', 'replay', 'park', 'redact', 'reveal', 'subject-access'];

function touched(action: RecordedAction): Html {
  const ids = action.messageIds;
  if (ids.length === 0) return html`—`;
  const shown = ids.slice(0, 5);
  return html`${shown.map((id, i) => html`${i > 0 ? ', ' : ''}<a href="/messages/${id}">${id}</a>`)}${ids.length > shown.length ? ` and ${ids.length - shown.length} more` : ''}`;
}

export function actionsPage(
  page: PageContext,
  filters: ActionFilters,
  result: Page<RecordedAction> | { readonly problem: string },
): Html {
  let next: Html | string = '';
  if ('items' in result && result.next !== null) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) if (value !== '') query.set(name, value);
    query.set('after', result.next);
    next = html`<p><a rel="next" href="/actions?${query.toString()}">Next page (older)</a></p>`;
  }
  return layout(
    page,
    'Action log',
    html`<form
        method="get"
        action="/actions"
        class="filters"
        role="search"
        aria-label="Filter the action log"
      >
        <div class="field">
          <label for="a-actor">Who</label><input id="a-actor" name="actor" value="${filters.actor}" />
        </div>
        <div class="field">
          <label for="a-action">Action</label
          ><select id="a-action" name="action">
            ${KINDS.map(
              (k) =>
                html`<option value="${k}" ${k === filters.action ? html`selected` : ''}>
                  ${k === '' ? 'Any action' : k}
                </option>`,
            )}
          </select>
        </div>
        <div class="field">
          <label for="a-message">Message id</label
          ><input id="a-message" name="messageId" value="${filters.messageId}" />
        </div>
        <div class="field">
          <label for="a-since">Since (UTC)</label
          ><input id="a-since" name="since" type="datetime-local" value="${filters.since}" />
        </div>
        <div class="field"><button type="submit">Filter</button></div>
      </form>
      ${
        'problem' in result
          ? html`<p class="problem" role="alert">${result.problem}</p>`
          : result.items.length === 0
            ? html`<p>No actions.</p>`
            : html`<table>
                  <caption>
                    Actions, newest first
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">When (UTC)</th>
                      <th scope="col">Action</th>
                      <th scope="col">Who</th>
                      <th scope="col">Why</th>
                      <th scope="col">Messages</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${result.items.map(
                      (a) =>
                        html`<tr>
                          <td>${time(a.at)}</td>
                          <td>${a.action}${a.dryRun ? ' (dry run)' : ''}</td>
                          <td>${a.actor}</td>
                          <td>${a.reason}</td>
                          <td>${touched(a)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
                ${next}`
      }`,
  );
}
