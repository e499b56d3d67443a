import { expect } from 'chai';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfiguration } from '../../src/composition/configuration';

describe('configuration: LATENCY_TRACE_FILE, the latency budget’s timestamps', () => {
  const load = (env: Record<string, string>) => loadConfiguration(env, { servesHttp: false });

  it('is off unless set', () => {
    expect(load({}).latencyTraceFile).to.equal(undefined);
    expect(load({ LATENCY_TRACE_FILE: '' }).latencyTraceFile).to.equal(undefined);
  });

  it('takes a file in a writable folder', () => {
    const file = path.join(tmpdir(), 'wsb-trace.jsonl');
    expect(load({ LATENCY_TRACE_FILE: file }).latencyTraceFile).to.equal(file);
  });

  it('refuses, at start, a file whose folder cannot be written', () => {
    expect(() => load({ LATENCY_TRACE_FILE: '/no/such/folder/trace.jsonl' })).to.throw(
      /LATENCY_TRACE_FILE: cannot write in the folder of \/no\/such\/folder\/trace\.jsonl/,
    );
  });
});
