import { introspectionSchema } from '../../../src/hubspot/schemas';
import { API_PATHS, type SimulatorHandle } from '../../../src/simulator';
import { createApi, startSmallSimulator } from './helpers';

let sim: SimulatorHandle;
let clock = Date.parse('2026-11-20T12:00:00Z');
const redirectUri = 'http://127.0.0.1:9/oauth/callback';

beforeAll(async () => {
  sim = await startSmallSimulator({ now: () => clock, portals: 2, contacts: 30, deals: 5 });
});
afterAll(() => sim.close());

type TokenBody = {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  token_use: string;
  hub_id: number;
  user_id: number;
  scopes: string[];
};
type OAuthErrorBody = { error: string; error_description: string; status: string; message: string };

async function authorize(query: Record<string, string>, path = '/oauth/authorize'): Promise<URL> {
  const params = new URLSearchParams({ client_id: sim.app.clientId, redirect_uri: redirectUri, ...query });
  const response = await fetch(`${sim.url}${path}?${params.toString()}`, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

async function token(form: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sim.url}${API_PATHS.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: await response.json() };
}

const credentials = () => ({ client_id: sim.app.clientId, client_secret: sim.app.clientSecret });

describe('authorization code flow', () => {
  it('redirects with code and state, exchanges the code once, and grants the scopes asked', async () => {
    const location = await authorize({
      scope: 'crm.objects.contacts.read crm.objects.deals.read',
      optional_scope: 'crm.objects.owners.read',
      state: 'xyz-123',
      portal_id: '102',
    });
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz-123');
    const code = location.searchParams.get('code')!;
    const exchanged = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      ...credentials(),
    });
    expect(exchanged.status).toBe(200);
    const body = exchanged.body as TokenBody;
    expect(body).toMatchObject({
      expires_in: 1800,
      token_type: 'bearer',
      token_use: 'access_token',
      hub_id: 102,
    });
    expect(body.scopes.sort()).toEqual([
      'crm.objects.contacts.read',
      'crm.objects.deals.read',
      'crm.objects.owners.read',
      'oauth',
    ]);
    expect(body.access_token.length).toBeGreaterThan(300);
    expect(body.refresh_token).toMatch(/^na1-/);

    const api = createApi(sim.url, body.access_token);
    const account = await api<{ portalId: number }>('GET', API_PATHS.accountDetails);
    expect(account.body.portalId).toBe(102);

    const reused = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      ...credentials(),
    });
    expect(reused.status).toBe(400);
    expect(reused.body).toMatchObject({ error: 'invalid_grant', status: 'BAD_AUTH_CODE' });
  });

  it('defaults to the first portal, supports the account-pinned path, and refuses a different redirect_uri', async () => {
    const first = await authorize({ scope: 'oauth' });
    const pinned = await authorize({ scope: 'oauth' }, '/oauth/102/authorize');
    const wrong = await token({
      grant_type: 'authorization_code',
      code: first.searchParams.get('code')!,
      redirect_uri: 'http://127.0.0.1:9/elsewhere',
      ...credentials(),
    });
    expect(wrong.body).toMatchObject({ error: 'invalid_grant', status: 'BAD_REDIRECT_URI' });
    const ok = await token({
      grant_type: 'authorization_code',
      code: pinned.searchParams.get('code')!,
      redirect_uri: redirectUri,
      ...credentials(),
    });
    expect((ok.body as TokenBody).hub_id).toBe(102);
  });

  it('drops optional scopes the account cannot grant', async () => {
    const limited = await startSmallSimulator({
      contacts: 5,
      deals: 1,
      portals: [{ portalId: 555, unavailableScopes: ['crm.objects.owners.read'] }],
    });
    try {
      const params = new URLSearchParams({
        client_id: limited.app.clientId,
        redirect_uri: redirectUri,
        scope: 'crm.objects.contacts.read',
        optional_scope: 'crm.objects.owners.read',
      });
      const location = new URL(
        (
          await fetch(`${limited.url}/oauth/authorize?${params.toString()}`, { redirect: 'manual' })
        ).headers.get('location')!,
      );
      const response = await fetch(`${limited.url}${API_PATHS.token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: location.searchParams.get('code')!,
          redirect_uri: redirectUri,
          client_id: limited.app.clientId,
          client_secret: limited.app.clientSecret,
        }).toString(),
      });
      expect(((await response.json()) as TokenBody).scopes.sort()).toEqual([
        'crm.objects.contacts.read',
        'oauth',
      ]);
    } finally {
      await limited.close();
    }
  });

  it('redirects with error=access_denied while the portal denies installs', async () => {
    sim.faults.set(101, { authorizeDenied: true });
    const location = await authorize({ scope: 'oauth', state: 's1' });
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('s1');
    expect(location.searchParams.get('code')).toBeNull();
    sim.faults.reset(101);
  });

  it('answers invalid_client for wrong credentials', async () => {
    const wrongSecret = await token({
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_id: sim.app.clientId,
      client_secret: 'nope',
    });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body).toMatchObject({ error: 'invalid_client' });
    const unknownClient = await token({
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_id: 'nope',
      client_secret: 'nope',
    });
    expect((unknownClient.body as OAuthErrorBody).error).toBe('invalid_client');
  });
});

describe('refresh, expiry, introspection and revocation', () => {
  it('refreshes an expired access token and keeps the refresh token', async () => {
    const install = sim.admin.issueTokens(101);
    clock += 1800 * 1000 + 1;
    expect((await createApi(sim.url, install.access_token)('GET', API_PATHS.owners)).status).toBe(401);
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: install.refresh_token,
      ...credentials(),
    });
    expect(refreshed.status).toBe(200);
    const body = refreshed.body as TokenBody;
    expect(body.refresh_token).toBe(install.refresh_token);
    expect(body.access_token).not.toBe(install.access_token);
    expect((await createApi(sim.url, body.access_token)('GET', API_PATHS.owners)).status).toBe(200);
  });

  it('introspects live and dead tokens', async () => {
    const install = sim.admin.issueTokens(101);
    const introspect = async (tokenValue: string) => {
      const response = await fetch(`${sim.url}${API_PATHS.introspect}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokenValue, ...credentials() }).toString(),
      });
      return (await response.json()) as Record<string, unknown>;
    };
    expect(await introspect(install.access_token)).toMatchObject({
      active: true,
      token_use: 'access_token',
      hub_id: 101,
      app_id: sim.app.appId,
      client_id: sim.app.clientId,
      expires_in: 1800,
    });
    // Every field of the 2026-03 spec's SignedAccessToken, with its type.
    const signed = (await introspect(install.access_token)).signed_access_token as Record<string, unknown>;
    const types = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k, typeof v]));
    expect(types).toEqual({
      appId: 'number',
      expiresAt: 'number',
      hubId: 'number',
      hublet: 'string',
      installingUserId: 'number',
      isPrivateDistribution: 'boolean',
      isServiceAccount: 'boolean',
      isUserLevel: 'boolean',
      newSignature: 'string',
      scopes: 'string',
      scopeToScopeGroupPks: 'string',
      signature: 'string',
      trialScopes: 'string',
      trialScopeToScopeGroupPks: 'string',
      userId: 'number',
    });
    expect(signed).toMatchObject({ hubId: 101, appId: sim.app.appId });
    expect(introspectionSchema.parse(await introspect(install.access_token))).toMatchObject({ hub_id: 101 });
    expect(await introspect(install.refresh_token)).toMatchObject({
      active: true,
      token_use: 'refresh_token',
      hub_id: 101,
    });
    expect(await introspect('unknown')).toEqual({ active: false });
  });

  it('answers invalid_grant / BAD_REFRESH_TOKEN after a revoke, while the access token keeps working', async () => {
    const install = sim.admin.issueTokens(101);
    const revoked = await fetch(`${sim.url}${API_PATHS.revoke}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: install.refresh_token, ...credentials() }).toString(),
    });
    expect(revoked.status).toBe(200);
    const refresh = await token({
      grant_type: 'refresh_token',
      refresh_token: install.refresh_token,
      ...credentials(),
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body).toMatchObject({
      error: 'invalid_grant',
      status: 'BAD_REFRESH_TOKEN',
      error_description: 'refresh token is invalid, expired or revoked',
    });
    expect((refresh.body as OAuthErrorBody).message).toBe('refresh token is invalid, expired or revoked');
    expect((await createApi(sim.url, install.access_token)('GET', API_PATHS.owners)).status).toBe(200);
    const unknown = await token({
      grant_type: 'refresh_token',
      refresh_token: 'na1-unknown',
      ...credentials(),
    });
    expect((unknown.body as OAuthErrorBody).status).toBe('BAD_REFRESH_TOKEN');
  });

  it('fails refreshes while the refresh-token fault is on, and recovers when it is off', async () => {
    const install = sim.admin.issueTokens(102);
    sim.faults.set(102, { refreshTokenRevoked: true });
    expect(
      (await token({ grant_type: 'refresh_token', refresh_token: install.refresh_token, ...credentials() }))
        .status,
    ).toBe(400);
    sim.faults.set(102, { refreshTokenRevoked: false });
    expect(
      (await token({ grant_type: 'refresh_token', refresh_token: install.refresh_token, ...credentials() }))
        .status,
    ).toBe(200);
  });

  it('keeps secrets out of the request log', () => {
    const entries = sim.requestLog.list({ pathPrefix: API_PATHS.token });
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(entry.body).not.toContain(sim.app.clientSecret);
      expect(entry.body).toContain('client_secret=%5Bredacted%5D');
    }
  });
});
