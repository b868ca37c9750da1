import { API_PATHS, type SimulatorHandle } from '../../../src/simulator';
import { createApi, startSmallSimulator } from './helpers';

let sim: SimulatorHandle;
let api: ReturnType<typeof createApi>;

beforeAll(async () => {
  sim = await startSmallSimulator({ contacts: 30, deals: 5, rateScale: 0, portals: 2 });
  api = createApi(sim.url, sim.admin.issueTokens(101).access_token);
});
afterAll(() => sim.close());
afterEach(() => {
  sim.faults.reset(101);
  sim.faults.reset(102);
});

async function statuses(count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await api('GET', API_PATHS.owners)).status);
  return out;
}

describe('faults', () => {
  it('answers a share of requests with 5xx, the same share for the same seed', async () => {
    sim.faults.set(101, { errorRate: 0.5, errorStatus: 503 });
    const first = await statuses(30);
    expect(new Set(first)).toEqual(new Set([200, 503]));
    const other = await startSmallSimulator({ contacts: 30, deals: 5, rateScale: 0 });
    try {
      other.faults.set(101, { errorRate: 0.5, errorStatus: 503 });
      const otherApi = createApi(other.url, other.admin.issueTokens(101).access_token);
      const second: number[] = [];
      for (let i = 0; i < 30; i++) second.push((await otherApi('GET', API_PATHS.owners)).status);
      expect(second).toEqual(first);
    } finally {
      await other.close();
    }
  });

  it('injects ten-secondly 429s with the HubSpot body, and DAILY 429s while the daily limit is exhausted', async () => {
    sim.faults.set(101, { rateLimitRate: 1 });
    const limited = await api<{ policyName: string; errorType: string }>('GET', API_PATHS.owners);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT' });
    sim.faults.set(101, { rateLimitRate: 0, dailyLimitExhausted: true });
    const daily = await api<{ policyName: string; message: string }>(
      'POST',
      API_PATHS.search('contacts'),
      {},
    );
    expect(daily.status).toBe(429);
    expect(daily.body).toMatchObject({ policyName: 'DAILY', message: 'You have reached your daily limit.' });
    // Faults are per portal.
    const other = createApi(sim.url, sim.admin.issueTokens(102).access_token);
    expect((await other('GET', API_PATHS.owners)).status).toBe(200);
  });

  it('leaves a share of requests unanswered until the client gives up', async () => {
    sim.faults.set(101, { timeoutRate: 1 });
    await expect(
      api('GET', API_PATHS.owners, undefined, { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    sim.faults.reset(101);
    expect((await api('GET', API_PATHS.owners)).status).toBe(200);
    const abandoned = sim.requestLog
      .list({ portalId: 101, pathPrefix: API_PATHS.owners })
      .find((e) => e.status === 0);
    expect(abandoned).toBeDefined();
  });

  it('adds latency per portal', async () => {
    sim.faults.set(101, { latencyMs: 150 });
    const started = performance.now();
    expect((await api('GET', API_PATHS.owners)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('request log', () => {
  it('records method, path, query, bounded body, status and portal; filters and clears', async () => {
    sim.requestLog.clear();
    await api('GET', `${API_PATHS.objects('contacts')}?limit=2&properties=email`);
    await api('POST', API_PATHS.batchRead('contacts'), { inputs: [{ id: '1' }] });
    const entries = sim.requestLog.list();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      portalId: 101,
      method: 'GET',
      path: API_PATHS.objects('contacts'),
      query: { limit: '2', properties: 'email' },
      status: 200,
      body: null,
    });
    expect(entries[1]).toMatchObject({
      method: 'POST',
      status: 207,
      body: JSON.stringify({ inputs: [{ id: '1' }] }),
    });
    expect(sim.requestLog.count({ method: 'POST' })).toBe(1);
    sim.requestLog.clear();
    expect(sim.requestLog.count()).toBe(0);
  });
});
