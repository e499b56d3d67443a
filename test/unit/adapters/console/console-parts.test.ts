import { expect } from 'chai';
import { html } from '../../../../src/adapters/console/html';
import { roleFromClaim } from '../../../../src/adapters/console/oidc-sign-in';
import { maskCpr } from '../../../../src/adapters/console/pages/layout';
import { overviewJson, overviewPage } from '../../../../src/adapters/console/pages/overview';
import { SessionStore } from '../../../../src/adapters/console/sessions';

describe('adapters/console: templates, roles and sessions', () => {
  it('html`` escapes every interpolated value, arrays included, and keeps fragments built with it', () => {
    const hostile = `<script>alert("x")</script><img src=x onerror='y'>&\``;
    const page = html`<p title="${hostile}">${hostile}</p>
      ${[hostile, html`<b>${hostile}</b>`]}`;
    expect(page.text).to.not.include('<script>');
    expect(page.text).to.not.include('<img');
    expect(page.text).to.not.include(`"x"`);
    expect(page.text).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page.text).to.include('&#39;y&#39;&gt;&amp;&#96;');
    expect(page.text).to.include('<b>&lt;script&gt;');
    expect(html`${null}${undefined}${false}${0}`.text).to.equal('0');
  });

  it('takes the role from the claim: operator beats auditor, anything else is no role', () => {
    expect(roleFromClaim(['wsb-auditor', 'wsb-operator'])).to.equal('operator');
    expect(roleFromClaim(['wsb-auditor'])).to.equal('auditor');
    expect(roleFromClaim('wsb-auditor other')).to.equal('auditor');
    expect(roleFromClaim(['admin'])).to.equal(undefined);
    expect(roleFromClaim(undefined)).to.equal(undefined);
    expect(roleFromClaim({ role: 'wsb-operator' })).to.equal(undefined);
  });

  it('shows delivered (all time) as a count, or as "about" an estimate and says so', () => {
    const statistics = {
      countByStatus: { pending: 2, parked: 1, delivered: 1_234_567 },
      oldestPendingAgeSeconds: 3,
      oldestParkedAgeSeconds: 9,
      blockedEntities: 1,
      gdprErasuresWaiting: 0,
      deliveredEstimated: false,
    };
    const page = {
      user: undefined,
      csrfToken: undefined,
      developmentMode: false,
      flash: undefined,
      path: '/',
    };
    const figures = (deliveredEstimated: boolean) => {
      const data = { statistics: { ...statistics, deliveredEstimated }, minutes: [], processes: [] };
      return { text: overviewPage(page, data).text, json: overviewJson(data) };
    };
    const counted = figures(false);
    expect(counted.text).to.match(/id="fig-delivered">\s*1234567\s*</);
    expect(counted.text).to.not.include('delivered-estimated');
    expect(counted.json).to.deep.include({ delivered: 1_234_567, deliveredText: '1234567' });
    const estimated = figures(true);
    expect(estimated.text).to.match(/id="fig-delivered">\s*about 1,230,000\s*</);
    expect(estimated.text).to.include('id="delivered-estimated"');
    expect(estimated.json).to.deep.include({ deliveredEstimated: true, deliveredText: 'about 1,230,000' });
  });

  it('masks a CPR number in free text to its birth date', () => {
    expect(maskCpr('no route for 0101010000 or 020202-0000')).to.equal(
      'no route for 010101-**** or 020202-****',
    );
    expect(maskCpr('order 12345678901')).to.equal('order 12345678901');
  });

  it('ends a session after its idle timeout or its absolute timeout, whichever comes first', () => {
    let now = 0;
    const store = new SessionStore({ idleSeconds: 60, absoluteSeconds: 300 }, () => now);
    const idle = store.create();
    now = 61_000;
    expect(store.get(idle.id)).to.equal(undefined);

    const busy = store.create();
    for (now = 61_000; now <= 61_000 + 300_000; now += 50_000) {
      const alive = store.get(busy.id) !== undefined;
      expect(alive, `at ${now}`).to.equal(now - 61_000 <= 300_000);
    }
    now += 50_000;
    expect(store.get(busy.id)).to.equal(undefined);
    expect(store.create().id).to.not.equal(busy.id);
  });
});
