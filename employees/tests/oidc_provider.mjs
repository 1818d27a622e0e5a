// A real OpenID Connect provider for the browser tests: the certified `oidc-provider` package, on 127.0.0.1
// at a free port, with one client. Its users are read from a JSON file at each sign-in, so that a test can
// change someone's claims between two sign-ins. Any password signs in (the package's development screens).
//
//   node oidc_provider.mjs <users.json> <client id> <client secret> <redirect URI>
//
// Prints the issuer URL on its first line once it is listening.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

import Provider from "oidc-provider";

const [usersFile, clientId, clientSecret, redirectUri] = process.argv.slice(2);

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "test-key", alg: "RS256", use: "sig" }] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name", "groups"],
    },
    async findAccount(ctx, sub) {
      const user = JSON.parse(readFileSync(usersFile, "utf8"))[sub];
      return user && { accountId: sub, claims: async () => ({ sub, ...user }) };
    },
    // A first-party client: no consent screen.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  server.on("request", provider.callback());
  console.log(issuer);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
