import { expect } from 'chai';
import { loadConfiguration } from '../../src/composition/configuration';

describe('configuration: ADMIN_HOST, the admin port’s interface', () => {
  const load = (env: Record<string, string>) => loadConfiguration(env, { servesHttp: false });

  it('is HOST unless set, so probes and scrapes keep working where they did', () => {
    expect(load({})).to.include({ host: '0.0.0.0', adminHost: '0.0.0.0' });
    expect(load({ HOST: '10.0.0.5' })).to.include({ host: '10.0.0.5', adminHost: '10.0.0.5' });
    expect(load({ HOST: '10.0.0.5', ADMIN_HOST: '' })).to.include({ adminHost: '10.0.0.5' });
  });

  it('may name another interface than the public port’s', () => {
    expect(load({ HOST: '0.0.0.0', ADMIN_HOST: '10.1.2.3' })).to.include({
      host: '0.0.0.0',
      adminHost: '10.1.2.3',
    });
  });
});
