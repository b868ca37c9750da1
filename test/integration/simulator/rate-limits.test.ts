import { API_PATHS, type SimulatorHandle } from '../../../src/simulator';
import { createApi, startSmallSimulator, type ErrorAnswer } from './helpers';

type RateLimitAnswer = {
  status: string;
  message: string;
  errorType: string;
  correlationId: string;
  policyName: string;
  groupName: string;
};

let sim: SimulatorHandle;
let clock = Date.parse('2026-11-20T12:00:00Z');

beforeAll(async () => {
  sim = await startSmallSimulator({ now: () => clock, portals: 2 });
});
afterAll(() => sim.close());

describe('the ten-secondly budget', () => {
  it('answers the 111th request within 10 s with a 429 and recovers once the window rolls', async () => {
    const api = createApi(sim.url, sim.admin.issueTokens(101).access_token);
    for (let i = 1; i <= 110; i++) {
      const answer = await api('GET', `${API_PATHS.objects('contacts')}?limit=1`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-hubspot-ratelimit-max')).toBe('110');
      expect(answer.headers.get('x-hubspot-ratelimit-remaining')).toBe(String(110 - i));
      expect(answer.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
      if (i === 50) clock += 4000;
    }
    const limited = await api<RateLimitAnswer>('GET', `${API_PATHS.objects('contacts')}?limit=1`);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      status: 'error',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
      message: 'You have reached your ten_secondly_rolling limit.',
    });
    expect(limited.body.groupName).toContain('101');
    expect(limited.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');

    // Another portal has its own budget.
    const other = createApi(sim.url, sim.admin.issueTokens(102).access_token);
    expect((await other('GET', `${API_PATHS.objects('contacts')}?limit=1`)).status).toBe(200);

    // 6 s later the first 50 requests (sent before the 4 s jump) have left the window.
    clock += 6000;
    const recovered = await api('GET', `${API_PATHS.objects('contacts')}?limit=1`);
    expect(recovered.status).toBe(200);
    expect(recovered.headers.get('x-hubspot-ratelimit-remaining')).toBe('49');
    clock += 10_000;
  });

  it('keeps search on its own budget of 5 per second', async () => {
    const api = createApi(sim.url, sim.admin.issueTokens(101).access_token);
    for (let i = 0; i < 5; i++)
      expect((await api('POST', API_PATHS.search('contacts'), { limit: 1 })).status).toBe(200);
    const limited = await api<RateLimitAnswer>('POST', API_PATHS.search('contacts'), { limit: 1 });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      errorType: 'RATE_LIMIT',
      policyName: 'SECONDLY',
      message: 'You have reached your secondly limit.',
    });
    expect(limited.headers.get('x-hubspot-ratelimit-max')).toBeNull();
    // The general budget is untouched by the searches.
    const list = await api('GET', `${API_PATHS.objects('contacts')}?limit=1`);
    expect(list.status).toBe(200);
    expect(list.headers.get('x-hubspot-ratelimit-remaining')).toBe('109');
    clock += 1000;
    expect((await api('POST', API_PATHS.search('contacts'), { limit: 1 })).status).toBe(200);
    clock += 10_000;
  });

  it('multiplies the limits by rateScale', async () => {
    const scaled = await startSmallSimulator({ rateScale: 0.1, contacts: 20, deals: 2, now: () => clock });
    try {
      const api = createApi(scaled.url, scaled.admin.issueTokens(101).access_token);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await api('GET', API_PATHS.owners)).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(11);
      expect(statuses[11]).toBe(429);
    } finally {
      await scaled.close();
    }
  });
});

describe('authentication', () => {
  it('answers 401 with HubSpot bodies for a missing, unknown, expired or revoked token', async () => {
    const anonymous = await createApi(sim.url, null)<ErrorAnswer>('GET', API_PATHS.objects('contacts'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    expect(anonymous.body.message).toContain('Authentication credentials not found');

    expect((await createApi(sim.url, 'CNnot-a-token')('GET', API_PATHS.objects('contacts'))).status).toBe(
      401,
    );

    const tokens = sim.admin.issueTokens(102);
    const api = createApi(sim.url, tokens.access_token);
    expect((await api('GET', API_PATHS.owners)).status).toBe(200);
    clock += 1800 * 1000;
    const expired = await api<ErrorAnswer>('GET', API_PATHS.owners);
    expect(expired.status).toBe(401);
    expect(expired.body.category).toBe('EXPIRED_AUTHENTICATION');

    const fresh = createApi(sim.url, sim.admin.issueTokens(102).access_token);
    expect((await fresh('GET', API_PATHS.owners)).status).toBe(200);
    sim.admin.uninstall(102);
    expect((await fresh<ErrorAnswer>('GET', API_PATHS.owners)).status).toBe(401);
    // Search checks the token before its own budget.
    expect((await fresh('POST', API_PATHS.search('contacts'), {})).status).toBe(401);
  });

  it("never shows one portal's records to another portal's token", async () => {
    const token101 = createApi(sim.url, sim.admin.issueTokens(101).access_token);
    const token102 = createApi(sim.url, sim.admin.issueTokens(102).access_token);
    clock += 10_000;
    const contactOf102 = sim.groundTruth(102).contacts[0]!.id;
    expect((await token102('GET', API_PATHS.object('contacts', contactOf102))).status).toBe(200);
    expect((await token101('GET', API_PATHS.object('contacts', contactOf102))).status).toBe(404);
    const batch = await token101<{ results: unknown[] }>('POST', API_PATHS.batchRead('contacts'), {
      inputs: [{ id: contactOf102 }],
    });
    expect(batch.status).toBe(207);
    expect(batch.body.results).toHaveLength(0);
  });
});
