import type { EntryDetail, Hold, RecordedAction } from '../../../application/operations/ports';
import { type Html, html } from '../html';
import { csrfField, layout, maskCpr, type PageContext, time } from './layout';
import { statusBadge } from './messages';

/** Why a message is not on its way, in words. */
export function describeHold(hold: Hold): Html {
  switch (hold._tag) {
    case 'Delivered':
      return html`delivered`;
    case 'Due':
      return html`due now: the relay's next claim takes it`;
    case 'BackingOff':
      return html`failed before; the relay tries again at ${time(hold.until)}`;
    case 'Parked':
      return html`parked${hold.parkedBy === null ? '' : html` by ${hold.parkedBy.actor} (${hold.parkedBy.reason})`}:
      the relay leaves it, and its entity's later messages, until it is replayed`;
    case 'BlockedBy':
      return html`waits for <a href="/messages/${hold.blocker.messageId}">${hold.blocker.messageId}</a>, an
        earlier message of the same entity, which is ${describeHold(hold.blockerHold)}`;
  }
}

interface TimelineEvent {
  readonly at: Date;
  readonly what: Html;
}

function timeline(detail: EntryDetail, actions: readonly RecordedAction[]): TimelineEvent[] {
  const e = detail.entry;
  const events: TimelineEvent[] = [{ at: e.receivedAt, what: html`received from client ${e.clientId}` }];
  if (e.attempts > 0 && e.deliveredAt === null) {
    events.push({
      at: e.nextAttemptAt ?? e.receivedAt,
      what: html`${e.attempts} attempt(s) so far; last error: ${maskCpr(e.lastError ?? '—')}`,
    });
  }
  if (e.deliveredAt !== null) {
    events.push({ at: e.deliveredAt, what: html`delivered after ${e.attempts} attempt(s)` });
  }
  if (e.redactedAt !== null) {
    const why = detail.redaction;
    events.push({
      at: e.redactedAt,
      what: html`payload
      redacted${why === null ? '' : html` (${why.reason}${why.byMessageId === null ? '' : html`, by notice <a href="/messages/${why.byMessageId}">${why.byMessageId}</a>`})`}`,
    });
  }
  for (const action of actions) {
    events.push({
      at: action.at,
      what: html`${action.action}${action.dryRun ? ' (dry run)' : ''} by ${action.actor}: ${action.reason}`,
    });
  }
  return events.sort((a, b) => a.at.getTime() - b.at.getTime());
}

function operatorForms(page: PageContext, detail: EntryDetail): Html {
  if (page.user?.role !== 'operator') return html``;
  const id = detail.entry.messageId;
  const form = (action: string, label: string, hint: string) =>
    html`<form method="post" action="/messages/${id}/${action}" class="action">
      ${csrfField(page)}
      <label for="reason-${action}">Reason to ${action}</label>
      <input id="reason-${action}" name="reason" required aria-describedby="hint-${action}" />
      <span class="hint" id="hint-${action}">${hint}</span>
      <button type="submit">${label}</button>
    </form>`;
  const status = detail.entry.status;
  return html`<section aria-labelledby="h-actions-${id}">
    <h2 id="h-actions-${id}">Operator actions</h2>
    ${status !== 'delivered' ? form('replay', 'Replay message', 'Back to pending, attempts reset, due now.') : ''}
    ${status === 'pending' ? form('park', 'Park message', 'The relay leaves it, and its entity’s later messages, until replayed.') : ''}
  </section>`;
}

function payloadSection(page: PageContext, detail: EntryDetail, revealed: string | undefined): Html {
  const id = detail.entry.messageId;
  let body: Html;
  if (revealed !== undefined) {
    body = html`<pre class="payload" tabindex="0" aria-label="Payload">${revealed}</pre>`;
  } else if (page.user?.role === 'operator') {
    body = html`<p>The payload is hidden. Revealing it is recorded in the action log with your reason.</p>
      <form method="post" action="/messages/${id}/reveal" class="action">
        ${csrfField(page)}
        <label for="reason-reveal">Reason to reveal the payload</label>
        <input id="reason-reveal" name="reason" required />
        <button type="submit">Reveal payload</button>
      </form>`;
  } else {
    body = html`<p>The payload is hidden. Only an operator may reveal it.</p>`;
  }
  return html`<section aria-labelledby="h-payload" id="payload">
    <h2 id="h-payload">Payload</h2>
    ${body}
  </section>`;
}

export function messagePage(
  page: PageContext,
  detail: EntryDetail,
  actions: readonly RecordedAction[],
  revealed: string | undefined,
): Html {
  const e = detail.entry;
  const row = (label: string, value: Html | string | number) =>
    html`<div>
      <dt>${label}</dt>
      <dd>${value}</dd>
    </div>`;
  return layout(
    page,
    `Message ${e.messageId}`,
    html`<section aria-labelledby="h-metadata">
        <h2 id="h-metadata">Metadata</h2>
        <dl class="metadata">
          ${row('Status', statusBadge(e))} ${row('Waits for', describeHold(detail.hold))}
          ${row('Message id', e.messageId)} ${row('Request id', e.requestId)} ${row('Type', e.kind)}
          ${row('eksternIdentifier', html`<a href="/entities/${e.eksternIdentifier}">${e.eksternIdentifier}</a>`)}
          ${row('Jobcenter code', e.jobCenterKode)} ${row('Registreringsdato', time(e.registreringsDato))}
          ${row('Ændringstype', e.aendringstype)} ${row('Client', e.clientId)}
          ${row('Client certificate', e.clientCertSubject ?? '—')} ${row('Exchange', e.exchange)}
          ${row('Routing key', e.routingKey)} ${row('Attempts', e.attempts)}
          ${row('Last error', maskCpr(e.lastError ?? '—'))} ${row('Next attempt', time(e.nextAttemptAt))}
          ${row('Trace id', detail.traceId ?? '—')}
        </dl>
      </section>
      <section aria-labelledby="h-timeline">
        <h2 id="h-timeline">Timeline</h2>
        <ol class="timeline">
          ${timeline(detail, actions).map((event) => html`<li>${time(event.at)}: ${event.what}</li>`)}
        </ol>
      </section>
      ${operatorForms(page, detail)} ${payloadSection(page, detail, revealed)}`,
  );
}
