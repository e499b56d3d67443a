import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { readJsonBody } from '../../../src/adapters/http/json-body';

function request(bytes: Buffer): IncomingMessage {
  const stream = Readable.from([bytes]) as unknown as IncomingMessage;
  stream.headers = { 'content-type': 'application/json', 'content-length': String(bytes.length) };
  return stream;
}

describe('adapters/http: readJsonBody', () => {
  it('reads a body whole after an earlier body ended in the middle of a UTF-8 sequence (the decoder is shared)', async () => {
    // `{"a":"` and the first two bytes of the three of '€'.
    const truncated = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xe2, 0x82])]);
    expect(await readJsonBody(request(truncated), 1024)).to.deep.equal({
      ok: false,
      refusal: 'invalid-utf8',
    });
    // A body starting with the third byte alone is invalid by itself, not the end of the one before.
    expect(await readJsonBody(request(Buffer.from([0xac, 0x22])), 1024)).to.deep.equal({
      ok: false,
      refusal: 'invalid-utf8',
    });
    expect(await readJsonBody(request(Buffer.from('{"a":"€"}')), 1024)).to.deep.equal({
      ok: true,
      value: { a: '€' },
    });
  });
});
