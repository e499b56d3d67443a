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

describe('JwtAuthenticator: the client identity is input like any other', () => {
  let idp: TestIdentityProvider;
  before(async () => {
    idp = await TestIdentityProvider.create();
  });

  const authenticate = async (options: Parameters<TestIdentityProvider['token']>[0]) =>
    idp.authenticator().authenticate(`Bearer ${await idp.token(options)}`);
  const UNSTORABLE = {
    _tag: 'Unauthenticated',
    reason: 'token names its client with U+0000 or an unpaired surrogate',
  };

  it('refuses a correctly signed token whose client_id holds U+0000 or an unpaired surrogate', async () => {
    for (const clientId of ['vitas\u0000client', '\u0000', 'vitas-\ud800', '\udc00vitas', 'x\ud83d']) {
      expect(await authenticate({ claims: { client_id: clientId } }), JSON.stringify(clientId)).to.deep.equal(
        UNSTORABLE,
      );
    }
  });

  it('refuses it in sub or azp when that is the identity, and before it looks at the scope', async () => {
    expect(await authenticate({ claims: { client_id: undefined }, subject: 'vitas\u0000sub' })).to.deep.equal(
      UNSTORABLE,
    );
    expect(await authenticate({ claims: { client_id: undefined, azp: 'vitas\ud800' } })).to.deep.equal(
      UNSTORABLE,
    );
    expect(
      await authenticate({ claims: { client_id: 'vitas\u0000client', scope: 'read' } }),
      'a token without the scope is 401 too, not 403',
    ).to.deep.equal(UNSTORABLE);
  });

  it('takes any other characters as they are: an emoji (a surrogate pair), æøå, a long id', async () => {
    for (const clientId of ['vitas-\ud83d\ude00', 'jobcenter-æøå', 'c'.repeat(4096)]) {
      expect(await authenticate({ claims: { client_id: clientId } })).to.deep.equal({
        _tag: 'Authenticated',
        principal: { clientId },
      });
    }
  });
});
