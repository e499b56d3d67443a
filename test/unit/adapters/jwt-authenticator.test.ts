import { expect } from 'chai';
import { TestIdentityProvider } from '../../support/tokens';

describe('JwtAuthenticator', () => {
  let idp: TestIdentityProvider;
  before(async () => {
    idp = await TestIdentityProvider.create();
  });

  it('does not serve a token from its cache once the token has expired', async () => {
    const authenticator = idp.authenticator();
    const token = await idp.token({ expiresIn: Math.floor(Date.now() / 1000) + 1 });
    expect((await authenticator.authenticate(`Bearer ${token}`))._tag).to.equal('Authenticated');
    expect((await authenticator.authenticate(`Bearer ${token}`))._tag).to.equal('Authenticated');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = await authenticator.authenticate(`Bearer ${token}`);
    expect(later).to.deep.equal({ _tag: 'Unauthenticated', reason: 'token expired' });
  });

  it('does not cache failures', async () => {
    const authenticator = idp.authenticator();
    const tampered = `${await idp.token()}x`;
    expect((await authenticator.authenticate(`Bearer ${tampered}`))._tag).to.equal('Unauthenticated');
    expect((await authenticator.authenticate(`Bearer ${tampered}`))._tag).to.equal('Unauthenticated');
  });

  it('remembers a missing scope as 403, not as a pass', async () => {
    const authenticator = idp.authenticator();
    const token = await idp.token({ claims: { scope: 'read' } });
    expect((await authenticator.authenticate(`Bearer ${token}`))._tag).to.equal('Forbidden');
    expect((await authenticator.authenticate(`Bearer ${token}`))._tag).to.equal('Forbidden');
  });
});
