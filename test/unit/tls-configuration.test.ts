import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigurationError, loadConfiguration } from '../../src/composition/configuration';

describe('configuration: TLS, retention and redaction variables', () => {
  let dir: string;
  let cert: string;
  let key: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wsb-tls-config-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    writeFileSync(cert, 'x');
    writeFileSync(key, 'x');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOf = (env: Record<string, string>): readonly string[] => {
    try {
      loadConfiguration(env);
      return [];
    } catch (error) {
      if (error instanceof ConfigurationError) return error.problems;
      throw error;
    }
  };

  it('defaults: plain HTTP, 30 days retention, a sweep every 60 s in batches of 500', () => {
    const config = loadConfiguration({});
    expect(config.tls).to.equal(undefined);
    expect(config).to.include({
      payloadRetentionDays: 30,
      redactionIntervalSeconds: 60,
      redactionBatchSize: 500,
    });
  });

  it('reads certificate, key and client CA', () => {
    const config = loadConfiguration({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key, TLS_CLIENT_CA_FILE: cert });
    expect(config.tls).to.deep.equal({ certFile: cert, keyFile: key, clientCaFile: cert });
  });

  it('wants certificate and key together, a CA only with them, and readable files', () => {
    expect(problemsOf({ TLS_CERT_FILE: cert })).to.deep.equal([
      'TLS_CERT_FILE and TLS_KEY_FILE go together: set both or neither',
    ]);
    expect(problemsOf({ TLS_CLIENT_CA_FILE: cert })).to.deep.equal([
      'TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE',
    ]);
    expect(problemsOf({ TLS_CERT_FILE: cert, TLS_KEY_FILE: join(dir, 'missing.pem') })[0]).to.match(
      /^TLS_KEY_FILE: cannot read /,
    );
    expect(problemsOf({ PAYLOAD_RETENTION_DAYS: 'thirty' })).to.deep.equal([
      'PAYLOAD_RETENTION_DAYS: "thirty" is not a whole number',
    ]);
  });
});
