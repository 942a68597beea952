// A real OpenID Provider for the tests: node_modules' oidc-provider on loopback.
// PORT, CLIENTS (JSON list of client metadata) and KEY_ID come from the environment; the
// signing key is made at start, so restarting with another KEY_ID rotates the keys.
// The dev interactions login screen signs in any login name: "ada" becomes
// ada@example.test (verified); PEOPLE (JSON) overrides the claims per login name.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = { ...privateKey.export({ format: 'jwk' }), kid: process.env.KEY_ID || 'key-1',
  use: 'sig', alg: 'RS256' };
const people = JSON.parse(process.env.PEOPLE || '{}');

const provider = new Provider(issuer, {
  clients: JSON.parse(process.env.CLIENTS),
  jwks: { keys: [key] },
  cookies: { keys: ['signet-test-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The ID token carries the scope's claims (email, name), as Google's and Entra's do.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: `${id}@example.test`, email_verified: true,
      name: id, ...(people[id] || {}) }),
  }),
  // No consent screen: every client of this test provider is first-party.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
