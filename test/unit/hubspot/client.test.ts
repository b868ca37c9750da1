import nock from 'nock';
import pino from 'pino';
import { z } from 'zod';
import { createHubSpotClientFactory } from '../../../src/hubspot/client';
import {
  HubSpotApiError,
  HubSpotDailyLimitError,
  HubSpotRateLimitError,
  HubSpotResponseError,
  HubSpotTransportError,
} from '../../../src/hubspot/errors';
import { HUBSPOT_PATHS } from '../../../src/hubspot/endpoints';
import type { RateBudget } from '../../../src/hubspot/rate-budget';
import { objectBatchSchema, objectPageSchema } from '../../../src/hubspot/schemas';

const BASE = 'https://api.hubapi.test';
const TOKEN = 'CNsecret-access-token-value';
const PORTAL = 101;
const page = {
  results: [
    {
      id: '1',
      properties: { email: 'a@b.c' },
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-02T00:00:00Z',
    },
  ],
};
const rateLimited = (policyName: string) => ({
  status: 'error',
  message: 'limit',
  errorType: 'RATE_LIMIT',
  correlationId: 'c-1',
  policyName,
});

function setup(options: { maxAttempts?: number; fetchTimeoutMs?: number; budget?: boolean } = {}) {
  const sleeps: number[] = [];
  const tokenCalls: { invalidToken?: string }[] = [];
  let current = TOKEN;
  const budgetCalls: string[] = [];
  const rateBudget: RateBudget = {
    take: (portalId, kind) => {
      budgetCalls.push(`take ${portalId} ${kind}`);
      return Promise.resolve({
        settle: () => {
          budgetCalls.push(`settle ${portalId} ${kind}`);
          return Promise.resolve();
        },
      });
    },
    backOff: (portalId, policy) => {
      budgetCalls.push(`backOff ${portalId} ${policy}`);
      return Promise.resolve();
    },
  };
  const factory = createHubSpotClientFactory({
    apiBaseUrl: BASE,
    getAccessToken: (_portalId, opts) => {
      tokenCalls.push(opts ?? {});
      if (opts?.invalidToken) current = `${TOKEN}-fresh`;
      return Promise.resolve(current);
    },
    logger: pino({ level: 'silent' }),
    maxAttempts: options.maxAttempts ?? 3,
    fetchTimeoutMs: options.fetchTimeoutMs ?? 2_000,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...(options.budget === false ? {} : { rateBudget }),
  });
  return { client: factory.forPortal(PORTAL), sleeps, tokenCalls, budgetCalls };
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('HubSpot client', () => {
  it('sends the bearer token and the query, takes from the budget, and parses the answer', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get(HUBSPOT_PATHS.objects('contacts'))
      .query({ limit: '2', properties: 'email,lifecyclestage', archived: 'false' })
      .reply(200, page);
    const { client, budgetCalls } = setup();
    const result = await client.request(
      {
        method: 'GET',
        path: HUBSPOT_PATHS.objects('contacts'),
        query: { limit: 2, properties: ['email', 'lifecyclestage'], archived: false, after: undefined },
      },
      objectPageSchema,
    );
    expect(result.results[0]?.properties.email).toBe('a@b.c');
    // The slot is re-timed once the answer is in (rate-budget.ts, RateGrant).
    expect(budgetCalls).toEqual([`take ${PORTAL} standard`, `settle ${PORTAL} standard`]);
    scope.done();
  });

  it('spends the search budget on search paths', async () => {
    nock(BASE).post(HUBSPOT_PATHS.search('deals')).reply(200, { total: 0, results: [] });
    const { client, budgetCalls } = setup();
    await client.request(
      { method: 'POST', path: HUBSPOT_PATHS.search('deals'), body: { limit: 1 } },
      z.object({ total: z.number() }),
    );
    expect(budgetCalls).toEqual([`take ${PORTAL} search`, `settle ${PORTAL} search`]);
  });

  it('backs off ~10 s on TEN_SECONDLY_ROLLING and ~1 s on SECONDLY, then succeeds', async () => {
    nock(BASE)
      .get(HUBSPOT_PATHS.owners())
      .reply(429, rateLimited('TEN_SECONDLY_ROLLING'))
      .get(HUBSPOT_PATHS.owners())
      .reply(429, rateLimited('SECONDLY'))
      .get(HUBSPOT_PATHS.owners())
      .reply(200, { results: [] });
    const { client, sleeps, budgetCalls } = setup({ budget: false });
    await client.request(
      { method: 'GET', path: HUBSPOT_PATHS.owners() },
      z.object({ results: z.array(z.unknown()) }),
    );
    expect(sleeps).toEqual([10_000, 1_000]);
    expect(budgetCalls).toEqual([]);
    const shared = setup();
    nock(BASE)
      .get(HUBSPOT_PATHS.owners())
      .reply(429, rateLimited('TEN_SECONDLY_ROLLING'))
      .get(HUBSPOT_PATHS.owners())
      .reply(200, { results: [] });
    await shared.client.request(
      { method: 'GET', path: HUBSPOT_PATHS.owners() },
      z.object({ results: z.array(z.unknown()) }),
    );
    // With a shared budget, the budget waits for everyone: the client records the back-off and does not sleep itself.
    expect(shared.budgetCalls).toEqual([
      `take ${PORTAL} standard`,
      `settle ${PORTAL} standard`,
      `backOff ${PORTAL} TEN_SECONDLY_ROLLING`,
      `take ${PORTAL} standard`,
      `settle ${PORTAL} standard`,
    ]);
    expect(shared.sleeps).toEqual([]);
  });

  it('gives up on a rate limit that outlasts the attempts with a retryable error', async () => {
    nock(BASE).get(HUBSPOT_PATHS.owners()).times(3).reply(429, rateLimited('TEN_SECONDLY_ROLLING'));
    const { client } = setup({ budget: false });
    const err = await caught(client.request({ method: 'GET', path: HUBSPOT_PATHS.owners() }, z.unknown()));
    expect(err).toBeInstanceOf(HubSpotRateLimitError);
    expect((err as HubSpotRateLimitError).permanent).toBe(false);
  });

  it('does not retry the DAILY limit', async () => {
    const scope = nock(BASE).get(HUBSPOT_PATHS.owners()).once().reply(429, rateLimited('DAILY'));
    const { client, budgetCalls } = setup();
    const err = await caught(client.request({ method: 'GET', path: HUBSPOT_PATHS.owners() }, z.unknown()));
    expect(err).toBeInstanceOf(HubSpotDailyLimitError);
    expect(budgetCalls).toContain(`backOff ${PORTAL} DAILY`);
    scope.done();
  });

  it('retries 5xx with jittered exponential backoff, then reports the last one', async () => {
    nock(BASE)
      .get(HUBSPOT_PATHS.pipelines('deals'))
      .reply(502, 'Bad gateway')
      .get(HUBSPOT_PATHS.pipelines('deals'))
      .reply(200, { results: [] });
    const ok = setup();
    await ok.client.request(
      { method: 'GET', path: HUBSPOT_PATHS.pipelines('deals') },
      z.object({ results: z.array(z.unknown()) }),
    );
    expect(ok.sleeps).toHaveLength(1);
    expect(ok.sleeps[0]).toBeLessThanOrEqual(1_000);

    nock(BASE).get(HUBSPOT_PATHS.pipelines('deals')).times(3).reply(500, {
      status: 'error',
      message: 'internal error',
      category: 'INTERNAL_ERROR',
      correlationId: 'c-9',
    });
    const failing = setup();
    const err = await caught(
      failing.client.request({ method: 'GET', path: HUBSPOT_PATHS.pipelines('deals') }, z.unknown()),
    );
    expect(err).toBeInstanceOf(HubSpotApiError);
    expect(err).toMatchObject({
      status: 500,
      category: 'INTERNAL_ERROR',
      correlationId: 'c-9',
      permanent: false,
    });
    expect(failing.sleeps).toHaveLength(2);
  });

  it('retries a 401 once with a refreshed token', async () => {
    nock(BASE)
      .get(HUBSPOT_PATHS.owners())
      .matchHeader('authorization', `Bearer ${TOKEN}`)
      .reply(401, { status: 'error', message: 'expired', category: 'EXPIRED_AUTHENTICATION' })
      .get(HUBSPOT_PATHS.owners())
      .matchHeader('authorization', `Bearer ${TOKEN}-fresh`)
      .reply(200, { results: [] });
    const { client, tokenCalls } = setup();
    await client.request(
      { method: 'GET', path: HUBSPOT_PATHS.owners() },
      z.object({ results: z.array(z.unknown()) }),
    );
    expect(tokenCalls).toContainEqual({ invalidToken: TOKEN });

    nock(BASE)
      .get(HUBSPOT_PATHS.owners())
      .times(2)
      .reply(401, { status: 'error', message: 'invalid', category: 'INVALID_AUTHENTICATION' });
    const again = setup();
    const err = await caught(
      again.client.request({ method: 'GET', path: HUBSPOT_PATHS.owners() }, z.unknown()),
    );
    expect(err).toMatchObject({ status: 401, permanent: true });
  });

  it('fails a 4xx at once with a typed error that never holds the token', async () => {
    const scope = nock(BASE)
      .post(HUBSPOT_PATHS.properties('deals'))
      .once()
      .reply(400, {
        status: 'error',
        message: `bad token ${TOKEN} echoed`,
        category: 'VALIDATION_ERROR',
        correlationId: 'c-4',
        subCategory: 'X',
      });
    const { client, sleeps } = setup();
    const err = await caught(
      client.request({ method: 'POST', path: HUBSPOT_PATHS.properties('deals'), body: {} }, z.unknown()),
    );
    expect(err).toBeInstanceOf(HubSpotApiError);
    expect(err).toMatchObject({
      status: 400,
      category: 'VALIDATION_ERROR',
      correlationId: 'c-4',
      subCategory: 'X',
      permanent: true,
    });
    expect(err.message).toContain('POST /crm/properties/2026-09/deals');
    expect(err.message).not.toContain(TOKEN);
    expect(sleeps).toEqual([]);
    scope.done();
  });

  it('names the path and the first issues when an answer has the wrong shape', async () => {
    nock(BASE)
      .get(HUBSPOT_PATHS.objects('deals'))
      .reply(200, { results: [{ id: '1' }] });
    const { client } = setup();
    const err = await caught(
      client.request({ method: 'GET', path: HUBSPOT_PATHS.objects('deals') }, objectPageSchema),
    );
    expect(err).toBeInstanceOf(HubSpotResponseError);
    expect(err.message).toContain('GET /crm/objects/2026-09/deals');
    expect(err.message).toContain('results.0.createdAt');
    expect(err.message).not.toContain(TOKEN);
  });

  it('retries a call that gets no answer in time, then gives up with a transport error', async () => {
    nock(BASE).get(HUBSPOT_PATHS.owners()).times(2).delay(400).reply(200, { results: [] });
    const { client } = setup({ maxAttempts: 2, fetchTimeoutMs: 100 });
    const err = await caught(client.request({ method: 'GET', path: HUBSPOT_PATHS.owners() }, z.unknown()));
    expect(err).toBeInstanceOf(HubSpotTransportError);
    expect(err).toMatchObject({ reason: 'timeout', permanent: false });
  });

  it('returns 207 multi-status answers with their errors', async () => {
    nock(BASE)
      .post(HUBSPOT_PATHS.batchRead('deals'))
      .reply(207, {
        status: 'COMPLETE',
        results: page.results,
        numErrors: 1,
        errors: [
          { status: 'error', category: 'OBJECT_NOT_FOUND', message: 'missing', context: { ids: ['9'] } },
        ],
      });
    const { client } = setup();
    const answer = await client.requestMultiStatus(
      {
        method: 'POST',
        path: HUBSPOT_PATHS.batchRead('deals'),
        body: { inputs: [{ id: '1' }, { id: '9' }] },
      },
      objectBatchSchema,
    );
    expect(answer.status).toBe(207);
    expect(answer.multiStatus).toBe(true);
    expect(answer.body.errors?.[0]?.context?.ids).toEqual(['9']);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const { client } = setup();
    await expect(
      client.request({ method: 'GET', path: HUBSPOT_PATHS.owners(), signal: controller.signal }, z.unknown()),
    ).rejects.toThrow('shutting down');
  });
});
