import { expect } from 'chai';
import { propagateTraceContext } from '../../../src/adapters/http/request-tracing';
import { parseTraceContext, TRACEPARENT_PATTERN, traceIdOf } from '../../../src/domain/trace-context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('domain/trace-context: W3C traceparent and tracestate', () => {
  it('reads a valid version-00 traceparent, and a later version by its first four fields', () => {
    expect(parseTraceContext(`00-${TRACE}-${SPAN}-01`, undefined)).to.deep.equal({
      traceId: TRACE,
      parentId: SPAN,
      flags: '01',
    });
    expect(parseTraceContext(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`, undefined)?.traceId).to.equal(
      TRACE,
    );
  });

  it('refuses what the recommendation calls invalid: version ff, zero ids, upper case, extra fields on 00, garbage', () => {
    for (const invalid of [
      `ff-${TRACE}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE}-${SPAN}`,
      '',
      'x'.repeat(100),
    ]) {
      expect(parseTraceContext(invalid, 'a=b'), invalid).to.equal(undefined);
    }
  });

  it('keeps tracestate only when printable and at most 512 characters', () => {
    const parent = `00-${TRACE}-${SPAN}-01`;
    expect(parseTraceContext(parent, 'vitas=abc,other=1')?.tracestate).to.equal('vitas=abc,other=1');
    expect(parseTraceContext(parent, 'a=\u0000')).to.not.have.property('tracestate');
    expect(parseTraceContext(parent, `a=${'x'.repeat(600)}`)).to.not.have.property('tracestate');
  });

  it('tracing off: passes a valid traceparent on (as version 00), starts a not-sampled trace otherwise', () => {
    expect(propagateTraceContext.startRequest(`00-${TRACE}-${SPAN}-01`, 'v=1').context).to.deep.equal({
      traceparent: `00-${TRACE}-${SPAN}-01`,
      tracestate: 'v=1',
    });
    expect(
      propagateTraceContext.startRequest(`01-${TRACE}-${SPAN}-01-x`, undefined).context.traceparent,
    ).to.equal(`00-${TRACE}-${SPAN}-01`);
    const started = propagateTraceContext.startRequest('nonsense', 'v=1').context;
    expect(started.traceparent).to.match(new RegExp(TRACEPARENT_PATTERN)).and.match(/-00$/);
    expect(started).to.not.have.property('tracestate');
    expect(traceIdOf(started.traceparent)).to.not.equal(
      traceIdOf(propagateTraceContext.startRequest(undefined, undefined).context.traceparent),
    );
  });
});
