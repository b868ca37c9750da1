import { API_PATHS, type SimulatorHandle } from '../../../src/simulator';
import { createApi, startSmallSimulator, type ErrorAnswer, type Page } from './helpers';

let sim: SimulatorHandle;
let api: ReturnType<typeof createApi>;
let clock = Date.parse('2026-11-20T12:00:00Z');

beforeAll(async () => {
  // Limits lifted so that this file can send many searches; the budget has its own test file.
  sim = await startSmallSimulator({ now: () => clock, rateScale: 0, searchConsistencyMs: 2000 });
  api = createApi(sim.url, sim.admin.issueTokens(101).access_token);
});
afterAll(() => sim.close());

type SearchAnswer = Page & { total: number };

async function searchAll(objectType: string, body: Record<string, unknown>): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const answer = await api<SearchAnswer>('POST', API_PATHS.search(objectType), {
      ...body,
      limit: 200,
      ...(after ? { after } : {}),
    });
    expect(answer.status).toBe(200);
    ids.push(...answer.body.results.map((r) => r.id));
    after = answer.body.paging?.next.after;
  } while (after);
  return ids;
}

describe('filters and sorts', () => {
  it('applies EQ, IN, NOT_IN, HAS_PROPERTY and NOT_HAS_PROPERTY like the ground truth', async () => {
    const deals = sim.groundTruth(101).deals.filter((d) => !d.archived && !d.mergedInto);
    const won = await searchAll('deals', {
      filterGroups: [{ filters: [{ propertyName: 'hs_is_closed_won', operator: 'EQ', value: 'true' }] }],
    });
    expect(won.sort()).toEqual(
      deals
        .filter((d) => d.properties.hs_is_closed_won === 'true')
        .map((d) => d.id)
        .sort(),
    );
    const enterpriseOrReferral = await searchAll('deals', {
      filterGroups: [
        { filters: [{ propertyName: 'pipeline', operator: 'IN', values: ['75318642'] }] },
        { filters: [{ propertyName: 'hs_analytics_source', operator: 'EQ', value: 'referrals' }] },
      ],
    });
    expect(enterpriseOrReferral.sort()).toEqual(
      deals
        .filter(
          (d) => d.properties.pipeline === '75318642' || d.properties.hs_analytics_source === 'REFERRALS',
        )
        .map((d) => d.id)
        .sort(),
    );
    const notDefault = await searchAll('deals', {
      filterGroups: [{ filters: [{ propertyName: 'pipeline', operator: 'NOT_IN', values: ['default'] }] }],
    });
    expect(notDefault.length).toBe(deals.filter((d) => d.properties.pipeline !== 'default').length);
    const withClose = await searchAll('deals', {
      filterGroups: [{ filters: [{ propertyName: 'days_to_close', operator: 'HAS_PROPERTY' }] }],
    });
    const withoutClose = await searchAll('deals', {
      filterGroups: [{ filters: [{ propertyName: 'days_to_close', operator: 'NOT_HAS_PROPERTY' }] }],
    });
    expect(withClose.length + withoutClose.length).toBe(deals.length);
  });

  it('compares times (ISO or epoch ms) and numbers, and sorts on one property', async () => {
    const contacts = sim.groundTruth(101).contacts.filter((c) => !c.archived && !c.mergedInto);
    const from = Date.parse('2026-01-01T00:00:00Z');
    const to = Date.parse('2026-06-30T23:59:59Z');
    const ids = await searchAll('contacts', {
      filterGroups: [
        {
          filters: [
            {
              propertyName: 'createdate',
              operator: 'BETWEEN',
              value: String(from),
              highValue: '2026-06-30T23:59:59Z',
            },
          ],
        },
      ],
      sorts: [{ propertyName: 'createdate', direction: 'DESCENDING' }],
    });
    const expected = contacts
      .filter((c) => Date.parse(c.createdAt) >= from && Date.parse(c.createdAt) <= to)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
      .map((c) => c.id);
    expect(ids).toEqual(expected);
    const big = await searchAll('deals', {
      filterGroups: [{ filters: [{ propertyName: 'amount', operator: 'GTE', value: '20000' }] }],
      sorts: ['amount'],
    });
    const amounts = big.map((id) => Number(sim.admin.getRecord(101, 'deals', id)!.properties.amount));
    expect(amounts.every((a) => a >= 20000)).toBe(true);
    expect([...amounts].sort((a, b) => a - b)).toEqual(amounts);
  });

  it('filters on associations.contact and returns total and requested properties', async () => {
    const link = sim.groundTruth(101).associations.dealContacts[0]!;
    const answer = await api<SearchAnswer>('POST', API_PATHS.search('deals'), {
      filterGroups: [
        { filters: [{ propertyName: 'associations.contact', operator: 'EQ', value: link.contactId }] },
      ],
      properties: ['dealstage'],
    });
    expect(answer.body.results.map((r) => r.id)).toContain(link.dealId);
    expect(answer.body.total).toBe(answer.body.results.length);
    expect(Object.keys(answer.body.results[0]!.properties).sort()).toEqual([
      'createdate',
      'dealstage',
      'hs_lastmodifieddate',
      'hs_object_id',
    ]);
  });
});

describe('limits', () => {
  it('refuses paging past 10,000 results, pages above 200, more than 5 groups, 6 filters a group, or one sort', async () => {
    const past = await api<ErrorAnswer>('POST', API_PATHS.search('contacts'), { after: '10000', limit: 10 });
    expect(past.status).toBe(400);
    expect(past.body.category).toBe('VALIDATION_ERROR');
    expect((await api('POST', API_PATHS.search('contacts'), { after: '9999', limit: 10 })).status).toBe(200);
    expect((await api('POST', API_PATHS.search('contacts'), { limit: 201 })).status).toBe(400);
    const filter = { propertyName: 'lifecyclestage', operator: 'EQ', value: 'lead' };
    expect(
      (
        await api('POST', API_PATHS.search('contacts'), {
          filterGroups: Array.from({ length: 6 }, () => ({ filters: [filter] })),
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await api('POST', API_PATHS.search('contacts'), {
          filterGroups: [{ filters: Array.from({ length: 7 }, () => filter) }],
        })
      ).status,
    ).toBe(400);
    expect((await api('POST', API_PATHS.search('contacts'), { sorts: ['createdate', 'email'] })).status).toBe(
      400,
    );
    expect(
      (
        await api('POST', API_PATHS.search('contacts'), {
          filterGroups: [{ filters: [{ propertyName: 'nope', operator: 'EQ', value: 'x' }] }],
        })
      ).status,
    ).toBe(400);
  });

  it('sends no rate-limit headers on search answers', async () => {
    const answer = await api('POST', API_PATHS.search('contacts'), { limit: 1 });
    expect(answer.headers.get('x-hubspot-ratelimit-max')).toBeNull();
    expect(answer.headers.get('x-hubspot-ratelimit-remaining')).toBeNull();
  });
});

describe('eventual consistency', () => {
  it('shows a change to search only searchConsistencyMs after it happened', async () => {
    const contact = sim
      .groundTruth(101)
      .contacts.find((c) => !c.archived && !c.mergedInto && c.properties.jobtitle !== 'Chief Simulator')!;
    const byTitle = {
      filterGroups: [{ filters: [{ propertyName: 'jobtitle', operator: 'EQ', value: 'Chief Simulator' }] }],
    };
    sim.admin.updateRecord(101, 'contacts', contact.id, { jobtitle: 'Chief Simulator' });
    // A read by id sees the change at once…
    expect(sim.admin.getRecord(101, 'contacts', contact.id)!.properties.jobtitle).toBe('Chief Simulator');
    // …search does not, until the index catches up.
    expect((await api<SearchAnswer>('POST', API_PATHS.search('contacts'), byTitle)).body.total).toBe(0);
    clock += 1999;
    expect((await api<SearchAnswer>('POST', API_PATHS.search('contacts'), byTitle)).body.total).toBe(0);
    clock += 1;
    const caughtUp = await api<SearchAnswer>('POST', API_PATHS.search('contacts'), byTitle);
    expect(caughtUp.body.results.map((r) => r.id)).toEqual([contact.id]);

    const created = sim.admin.createRecord(101, 'contacts', {
      email: 'new.person@example.com',
      jobtitle: 'Chief Simulator',
    });
    expect((await api<SearchAnswer>('POST', API_PATHS.search('contacts'), byTitle)).body.total).toBe(1);
    clock += 2000;
    expect(
      (await api<SearchAnswer>('POST', API_PATHS.search('contacts'), byTitle)).body.results
        .map((r) => r.id)
        .sort(),
    ).toEqual([contact.id, created.id].sort());

    sim.admin.archiveRecord(101, 'contacts', created.id);
    expect((await api<SearchAnswer>('POST', API_PATHS.search('contacts'), byTitle)).body.total).toBe(2);
    clock += 2000;
    expect((await api<SearchAnswer>('POST', API_PATHS.search('contacts'), byTitle)).body.total).toBe(1);
  });

  it('finds recently modified records with the incremental-sync query', async () => {
    const since = clock;
    clock += 10;
    const deal = sim
      .groundTruth(101)
      .deals.find((d) => !d.archived && d.properties.hs_is_closed === 'false')!;
    sim.admin.moveDealStage(101, deal.id, 'closedlost');
    clock += 2000;
    const ids = await searchAll('deals', {
      filterGroups: [
        { filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(since) }] },
      ],
      sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
    });
    expect(ids).toEqual([deal.id]);
  });
});

describe('the 10,000-result cap on a portal with more contacts than that', () => {
  let big: SimulatorHandle;
  beforeAll(async () => {
    big = await startSmallSimulator({ contacts: 10_050, deals: 10, meetings: 0, rateScale: 0 });
  });
  afterAll(() => big.close());

  it('pages to the 10,000th result, offers a next cursor, and refuses it', async () => {
    const bigApi = createApi(big.url, big.admin.issueTokens(101).access_token);
    const last = await bigApi<SearchAnswer>('POST', API_PATHS.search('contacts'), {
      limit: 200,
      after: '9800',
    });
    expect(last.status).toBe(200);
    expect(last.body.total).toBe(10_050);
    expect(last.body.results).toHaveLength(200);
    expect(last.body.paging?.next.after).toBe('10000');
    const beyond = await bigApi<ErrorAnswer>('POST', API_PATHS.search('contacts'), {
      limit: 200,
      after: last.body.paging!.next.after,
    });
    expect(beyond.status).toBe(400);
    expect(beyond.body.category).toBe('VALIDATION_ERROR');
  });
});

describe('search after association changes', () => {
  it('sees a new association on the next search', async () => {
    const truth = sim.groundTruth(101);
    const contact = truth.contacts.find(
      (c) =>
        !c.archived && !c.mergedInto && !truth.associations.dealContacts.some((l) => l.contactId === c.id),
    )!;
    const deal = truth.deals.find((d) => !d.archived && !d.mergedInto)!;
    const byContact = {
      filterGroups: [
        { filters: [{ propertyName: 'associations.contact', operator: 'EQ', value: contact.id }] },
      ],
    };
    expect((await api<SearchAnswer>('POST', API_PATHS.search('deals'), byContact)).body.total).toBe(0);
    sim.admin.addAssociation(
      101,
      { objectType: 'deals', id: deal.id },
      { objectType: 'contacts', id: contact.id },
    );
    expect(
      (await api<SearchAnswer>('POST', API_PATHS.search('deals'), byContact)).body.results.map((r) => r.id),
    ).toEqual([deal.id]);
  });
});
