import type { EntryDetail, Page } from '../../../application/operations/ports';
import { type Html, html } from '../html';
import { layout, type PageContext, time } from './layout';
import { describeHold } from './message';
import { statusBadge } from './messages';

/** The first undelivered message holds back every later one of its entity (per-entity order). */
export function entityPage(page: PageContext, eksternIdentifier: string, result: Page<EntryDetail>): Html {
  const head = result.items.find((d) => d.entry.status !== 'delivered');
  const next =
    result.next === null
      ? ''
      : html`<p>
          <a rel="next" href="/entities/${eksternIdentifier}?after=${result.next}"
            >Next page (later messages)</a
          >
        </p>`;
  return layout(
    page,
    `Entity ${eksternIdentifier}`,
    html`${
      head === undefined
        ? html`<p>Nothing of this entity waits: every message shown is delivered.</p>`
        : html`<p class="holder" role="note">
            Holding the rest back: <a href="/messages/${head.entry.messageId}">${head.entry.messageId}</a>,
            ${describeHold(head.hold)}.
          </p>`
    }
    ${
      result.items.length === 0
        ? html`<p>No messages for this eksternIdentifier.</p>`
        : html`<table>
              <caption>
                Messages in acceptance order (oldest first)
              </caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Message id</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Received (UTC)</th>
                  <th scope="col">Why it waits</th>
                </tr>
              </thead>
              <tbody>
                ${result.items.map(
                  (d) => html`<tr${d === head ? html` class="head"` : ''}>
<td>${d.entry.seq}</td>
<td><a href="/messages/${d.entry.messageId}">${d.entry.messageId}</a></td>
<td>${d.entry.kind}</td>
<td>${statusBadge(d.entry)}</td>
<td>${time(d.entry.receivedAt)}</td>
<td>${describeHold(d.hold)}</td>
</tr>`,
                )}
              </tbody>
            </table>
            ${next}`
    }`,
  );
}
