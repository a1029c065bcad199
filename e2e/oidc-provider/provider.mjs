// A real OpenID Connect provider (panva/oidc-provider) for the sign-in tests, over HTTPS on loopback.
// Usage: node provider.mjs SETTINGS.json
// SETTINGS: { port, cert, key, client: { client_id, client_secret, redirect_uris, post_logout_redirect_uris },
//             accounts: "accounts.json", tamperFile: "tamper" }
// accounts.json maps a login (the subject) to { preferred_username, email, groups }; it is read at every sign-in, so a
// test can rename someone. The login form takes any password (the library's development interactions).
import fs from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const settings = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const accounts = () => JSON.parse(fs.readFileSync(settings.accounts, 'utf8'));

const provider = new Provider(`https://127.0.0.1:${settings.port}`, {
  clients: [{
    ...settings.client,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true, methods: ['S256'] },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'], groups: ['groups'] },
  // The ID token carries the scopes' claims, as Keycloak's and Entra ID's do.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['connect-test-provider-cookie-key'] },
  findAccount: async (ctx, id) => {
    const account = accounts()[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, name: account.preferred_username, ...account }) };
  },
  // First-party client: no consent page, every asked-for scope granted.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email groups');
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

// While settings.tamperFile exists, the token endpoint hands out ID tokens whose claims were changed after signing
// (the subject made "admin"), as a man in the middle would: the client must find the signature wrong.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token && fs.existsSync(settings.tamperFile)) {
    const [header, payload, signature] = ctx.body.id_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.sub = 'admin';
    claims.preferred_username = 'admin';
    ctx.body = { ...ctx.body, id_token: [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.') };
  }
});

https.createServer({ cert: fs.readFileSync(settings.cert), key: fs.readFileSync(settings.key) }, provider.callback())
  .listen(settings.port, '127.0.0.1', () => console.log(`listening on ${settings.port}`));
