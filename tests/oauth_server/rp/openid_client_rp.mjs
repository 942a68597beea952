// A relying party built on openid-client (a certified RP library), driven by
// tests/oauth_server/test_openid_client.py over stdin/stdout, one JSON object per line:
// it prints {"step": "authorize", "url"} and reads back the callback URL the browser got;
// {"step": "rotate"} and waits for "ok"; {"step": "logout", "url"} and reads the redirect.
import * as readline from 'node:readline';
import * as client from 'openid-client';

const [issuer, clientId, clientSecret, redirectUri, postLogoutUri] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (message) => process.stdout.write(JSON.stringify(message) + '\n');
const ask = async (message) => { say(message); return (await lines.next()).value.trim(); };
const result = {};

async function signIn(config) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', nonce, state,
  });
  const callback = await ask({ step: 'authorize', url: url.href });
  return client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state,
  });
}

async function main() {
  const config = await client.discovery(new URL(issuer), clientId, clientSecret,
    client.ClientSecretBasic(clientSecret), { execute: [client.allowInsecureRequests] });
  // Verify ID token signatures against jwks_uri (not only trust TLS to the token endpoint).
  client.enableNonRepudiationChecks(config);

  const tokens = await signIn(config);
  const claims = tokens.claims();
  result.sub = claims.sub;
  result.amr = claims.amr;
  result.sid = claims.sid;
  result.idTokenKid = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).kid;
  result.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  result.refreshRotated = refreshed.refresh_token !== tokens.refresh_token;
  try {
    await client.refreshTokenGrant(config, tokens.refresh_token);
    result.replay = 'accepted';
  } catch (error) {
    result.replay = error.error || error.code || String(error);
  }

  await ask({ step: 'rotate' });
  const second = await signIn(config);
  result.secondSub = second.claims().sub;
  result.secondKid = JSON.parse(Buffer.from(second.id_token.split('.')[0], 'base64url')).kid;
  result.introspection = await client.tokenIntrospection(config, second.access_token);

  const logoutUrl = client.buildEndSessionUrl(config, {
    id_token_hint: second.id_token, post_logout_redirect_uri: postLogoutUri, state: 'bye',
  });
  result.logoutRedirect = await ask({ step: 'logout', url: logoutUrl.href });
  try {
    await client.refreshTokenGrant(config, second.refresh_token);
    result.afterLogout = 'accepted';
  } catch (error) {
    result.afterLogout = error.error || error.code || String(error);
  }
  say({ step: 'done', result });
}

main().catch((error) => {
  say({ step: 'failed', error: String(error), code: error.code, cause: String(error.cause), result });
  process.exitCode = 1;
});
