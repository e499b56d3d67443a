import type { ErasureNotice, OutboxEntry, Page } from '../../../application/operations/ports';
import { type Html, html } from '../html';
import { csrfField, layout, type PageContext, time } from './layout';
import { messageTable } from './messages';

/** A subject-access answer kept for the session that asked, shown once. */
export interface SubjectAccessAnswer {
  /** Birth date and four stars: outside a reveal a CPR number is never shown whole. */
  readonly maskedCpr: string;
  readonly entries: readonly OutboxEntry[];
}

export function gdprPage(
  page: PageContext,
  notices: Page<ErasureNotice>,
  answer: SubjectAccessAnswer | undefined,
): Html {
  const next =
    notices.next === null
      ? ''
      : html`<p><a rel="next" href="/gdpr?after=${notices.next}">Next page (older notices)</a></p>`;
  return layout(
    page,
    'GDPR',
    html`<section aria-labelledby="h-notices">
        <h2 id="h-notices">Erasure notices</h2>
        ${
          notices.items.length === 0
            ? html`<p>No GdprSlettetNotifikation received.</p>`
            : html`<table>
                  <caption>
                    GdprSlettetNotifikation and how far each one's cascade has come
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Notice</th>
                      <th scope="col">eksternIdentifier</th>
                      <th scope="col">Received (UTC)</th>
                      <th scope="col">Status</th>
                      <th scope="col">Payloads erased</th>
                      <th scope="col">Still holding a payload</th>
                      <th scope="col">Cascade</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${notices.items.map(
                      (n) =>
                        html`<tr>
                          <td><a href="/messages/${n.entry.messageId}">${n.entry.messageId}</a></td>
                          <td>
                            <a href="/entities/${n.entry.eksternIdentifier}">${n.entry.eksternIdentifier}</a>
                          </td>
                          <td>${time(n.entry.receivedAt)}</td>
                          <td>${n.entry.status}</td>
                          <td>${n.erased}</td>
                          <td>${n.waiting}</td>
                          <td>
                            ${n.done ? 'done' : n.entry.status === 'delivered' ? 'under way' : 'not delivered yet'}
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
                ${next}`
        }
      </section>
      <section aria-labelledby="h-subject-access">
        <h2 id="h-subject-access">Subject-access search</h2>
        <p>
          Finds the messages that still hold a payload naming a CPR number. The search is recorded in the
          action log with your reason (never the CPR number).
        </p>
        <form method="post" action="/gdpr/subject-access" class="action">
          ${csrfField(page)}
          <label for="sa-cpr">CPR number</label>
          <input
            id="sa-cpr"
            name="cpr"
            required
            inputmode="numeric"
            autocomplete="off"
            pattern="\\d{6}-?\\d{4}"
          />
          <label for="sa-reason">Reason for the search</label>
          <input id="sa-reason" name="reason" required />
          <button type="submit">Search</button>
        </form>
        ${
          answer === undefined
            ? ''
            : html`<div aria-labelledby="h-sa-result">
                <h3 id="h-sa-result">Messages naming ${answer.maskedCpr}</h3>
                ${messageTable(`Messages that hold a payload naming ${answer.maskedCpr}`, answer.entries)}
              </div>`
        }
      </section>`,
  );
}
