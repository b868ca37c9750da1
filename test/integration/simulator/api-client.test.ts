import { Client } from '@hubspot/api-client';
import { API_PATHS, type SimulatorHandle } from '../../../src/simulator';
import { startSmallSimulator } from './helpers';

let sim: SimulatorHandle;

beforeAll(async () => {
  sim = await startSmallSimulator({ contacts: 50, deals: 10 });
});
afterAll(() => sim.close());

describe('the official @hubspot/api-client against the simulator', () => {
  it('reads date-versioned paths through apiRequest', async () => {
    const client = new Client({ accessToken: sim.admin.issueTokens(101).access_token, basePath: sim.url });
    const response = await client.apiRequest({
      method: 'GET',
      path: `${API_PATHS.objects('contacts')}?limit=5&properties=email,lifecyclestage`,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-hubspot-ratelimit-max')).toBe('110');
    const page = (await response.json()) as {
      results: { id: string; properties: { email: string } }[];
      paging: { next: { after: string } };
    };
    expect(page.results).toHaveLength(5);
    expect(page.results[0]!.properties.email).toContain('@');
    const next = await client.apiRequest({
      method: 'GET',
      path: `${API_PATHS.objects('contacts')}?limit=5&after=${page.paging.next.after}`,
    });
    const second = (await next.json()) as { results: { id: string }[] };
    expect(Number(second.results[0]!.id)).toBeGreaterThan(Number(page.results[4]!.id));
  });

  it('posts a search body and reads the 401 of a bad token without throwing', async () => {
    const client = new Client({ accessToken: sim.admin.issueTokens(101).access_token, basePath: sim.url });
    const search = await client.apiRequest({
      method: 'POST',
      path: API_PATHS.search('deals'),
      body: {
        filterGroups: [{ filters: [{ propertyName: 'pipeline', operator: 'EQ', value: 'default' }] }],
        limit: 3,
      },
    });
    expect(search.status).toBe(200);
    expect(((await search.json()) as { total: number }).total).toBeGreaterThan(0);
    const anonymous = new Client({ accessToken: 'not-a-token', basePath: sim.url });
    const denied = await anonymous.apiRequest({ method: 'GET', path: API_PATHS.owners });
    expect(denied.status).toBe(401);
  });

  it('answers 404 to the typed clients, whose /crm/v3 paths it does not serve on purpose', async () => {
    const client = new Client({ accessToken: sim.admin.issueTokens(101).access_token, basePath: sim.url });
    // Serving v3 would let an app drift back to paths that go unsupported in 2027 without a test noticing.
    await expect(client.crm.contacts.basicApi.getPage(5)).rejects.toMatchObject({ code: 404 });
  });
});
