import type { FailureGroup, OutboxEntry } from '../../../application/operations/ports';
import { type Html, html } from '../html';
import { csrfField, layout, maskCpr, type PageContext, time } from './layout';
import { messageTable } from './messages';

export function failuresPage(page: PageContext, groups: readonly FailureGroup[]): Html {
  return layout(
    page,
    'Failures',
    groups.length === 0
      ? html`<p>No undelivered message has failed.</p>`
      : html`<table>
          <caption>
            Undelivered messages grouped by their last error
          </caption>
          <thead>
            <tr>
              <th scope="col">Error (normalised)</th>
              <th scope="col">Messages</th>
              <th scope="col">Parked</th>
              <th scope="col">First seen (UTC)</th>
              <th scope="col">Last seen (UTC)</th>
              <th scope="col">Group</th>
            </tr>
          </thead>
          <tbody>
            ${groups.map(
              (g) =>
                html`<tr>
                  <td><code>${maskCpr(g.error)}</code></td>
                  <td>${g.count}</td>
                  <td>${g.parked}</td>
                  <td>${time(g.firstSeen)}</td>
                  <td>${time(g.lastSeen)}</td>
                  <td>
                    <a href="/failures/${g.fingerprint}" aria-label="Preview group ${g.fingerprint}"
                      >Preview</a
                    >
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`,
  );
}

/** A group's members and, for an operator, replay or park of exactly the count shown. */
export function failureGroupPage(
  page: PageContext,
  fingerprint: string,
  group: FailureGroup | undefined,
  members: readonly OutboxEntry[],
): Html {
  const count = members.length;
  const form = (action: 'replay' | 'park', label: string) =>
    html`<form method="post" action="/failures/${fingerprint}/${action}" class="action">
      ${csrfField(page)}
      <input type="hidden" name="expected" value="${count}" />
      <label for="reason-group-${action}">Reason to ${action} these ${count} messages</label>
      <input id="reason-group-${action}" name="reason" required />
      <button type="submit">${label}</button>
    </form>`;
  return layout(
    page,
    `Failure group ${fingerprint}`,
    html`<p>Last error: <code>${maskCpr(group?.error ?? '—')}</code></p>
      <p id="group-count"><strong>${count}</strong> undelivered message(s) in this group.</p>
      ${
        page.user?.role === 'operator' && count > 0
          ? html`<section aria-labelledby="h-group-actions">
              <h2 id="h-group-actions">Confirm a group action</h2>
              <p>
                The action touches exactly the ${count} message(s) listed below; if the group has changed in
                the meantime, nothing is changed.
              </p>
              ${form('replay', `Replay ${count} messages`)} ${form('park', `Park ${count} messages`)}
            </section>`
          : ''
      }
      ${messageTable('Messages in this group, oldest first', members)}`,
  );
}
