import { API_PATHS, type SimulatorHandle } from '../../../src/simulator';
import { createApi, startSmallSimulator, type ErrorAnswer, type Page } from './helpers';

let sim: SimulatorHandle;
let api: ReturnType<typeof createApi>;

beforeAll(async () => {
  sim = await startSmallSimulator();
  api = createApi(sim.url, sim.admin.issueTokens(101).access_token);
});
afterAll(() => sim.close());

describe('list', () => {
  it('caps pages at 100, and at 50 with propertiesWithHistory, answering 400 above', async () => {
    expect((await api('GET', `${API_PATHS.objects('contacts')}?limit=100`)).status).toBe(200);
    const tooMany = await api<ErrorAnswer>('GET', `${API_PATHS.objects('contacts')}?limit=101`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(typeof tooMany.body.correlationId).toBe('string');
    expect(
      (await api('GET', `${API_PATHS.objects('contacts')}?limit=50&propertiesWithHistory=lifecyclestage`))
        .status,
    ).toBe(200);
    expect(
      (await api('GET', `${API_PATHS.objects('contacts')}?limit=51&propertiesWithHistory=lifecyclestage`))
        .status,
    ).toBe(400);
  });

  it('pages with cursors that end, visiting every active record once', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await api<Page>(
        'GET',
        `${API_PATHS.objects('0-1')}?limit=100${after ? `&after=${after}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.results.map((r) => r.id));
      after = page.body.paging?.next.after;
      if (after) expect(page.body.paging?.next.link).toContain(`after=${after}`);
      pages++;
    } while (after && pages < 10);
    const truth = sim.groundTruth(101);
    const active = truth.contacts.filter((c) => !c.archived && !c.mergedInto).map((c) => c.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(active);
    expect(pages).toBe(Math.ceil(active.length / 100));
  });

  it('returns HubSpot shapes: string values, ISO times, default properties', async () => {
    const page = await api<Page>('GET', `${API_PATHS.objects('deals')}?limit=3`);
    const deal = page.body.results[0]!;
    expect(Object.keys(deal.properties).sort()).toEqual([
      'amount',
      'closedate',
      'createdate',
      'dealname',
      'dealstage',
      'hs_lastmodifieddate',
      'hs_object_id',
      'pipeline',
    ]);
    for (const value of Object.values(deal.properties))
      expect(value === null || typeof value === 'string').toBe(true);
    expect(deal.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(deal.properties.hs_object_id).toBe(deal.id);
    expect(deal.archived).toBe(false);
  });

  it('returns history newest first with HubSpot version fields', async () => {
    const page = await api<Page>(
      'GET',
      `${API_PATHS.objects('contacts')}?limit=50&propertiesWithHistory=lifecyclestage,hs_latest_source`,
    );
    const withTrail = page.body.results.find(
      (r) => (r.propertiesWithHistory?.hs_latest_source?.length ?? 0) > 2,
    )!;
    const versions = withTrail.propertiesWithHistory!.hs_latest_source!;
    const times = versions.map((v) => Date.parse(v.timestamp));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(versions[0]).toMatchObject({ sourceType: 'ANALYTICS' });
    expect(withTrail.properties.hs_latest_source).toBe(versions[0]!.value);
  });

  it('lists archived records only with archived=true', async () => {
    const target = (await api<Page>('GET', `${API_PATHS.objects('deals')}?limit=1`)).body.results[0]!;
    sim.admin.archiveRecord(101, 'deals', target.id);
    const archived = await api<Page>('GET', `${API_PATHS.objects('deals')}?archived=true&limit=100`);
    expect(archived.body.results.map((r) => r.id)).toEqual([target.id]);
    expect(archived.body.results[0]!.archived).toBe(true);
    const active = await api<Page>('GET', `${API_PATHS.objects('deals')}?limit=100`);
    expect(active.body.results.map((r) => r.id)).not.toContain(target.id);
    expect((await api('GET', API_PATHS.object('deals', target.id))).status).toBe(404);
    expect((await api('GET', `${API_PATHS.object('deals', target.id)}?archived=true`)).status).toBe(200);
    sim.admin.restoreRecord(101, 'deals', target.id);
    expect((await api('GET', API_PATHS.object('deals', target.id))).status).toBe(200);
  });
});

describe('read and batch read', () => {
  it('reads one record, 404 for an unknown id, 400 for an unknown object type', async () => {
    const id = sim.groundTruth(101).contacts[0]!.id;
    const one = await api<Page['results'][number]>(
      'GET',
      `${API_PATHS.object('contacts', id)}?properties=email,lifecyclestage`,
    );
    expect(one.status).toBe(200);
    expect(Object.keys(one.body.properties).sort()).toEqual([
      'createdate',
      'email',
      'hs_object_id',
      'lastmodifieddate',
      'lifecyclestage',
    ]);
    const missing = await api<ErrorAnswer>('GET', API_PATHS.object('contacts', '999'));
    expect(missing.status).toBe(404);
    expect(missing.body.category).toBe('OBJECT_NOT_FOUND');
    expect((await api('GET', API_PATHS.objects('companies'))).status).toBe(400);
  });

  it('batch-reads ≤ 100 inputs with history, 207 naming the missing ids, 400 above 100', async () => {
    const ids = sim
      .groundTruth(101)
      .deals.slice(0, 5)
      .map((d) => d.id);
    const ok = await api<{ status: string; results: Page['results'] }>('POST', API_PATHS.batchRead('deals'), {
      inputs: ids.map((id) => ({ id })),
      properties: ['amount'],
      propertiesWithHistory: ['dealstage'],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('COMPLETE');
    expect(ok.body.results.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(ok.body.results[0]!.propertiesWithHistory!.dealstage!.length).toBeGreaterThan(0);
    const partial = await api<{
      results: unknown[];
      numErrors: number;
      errors: { category: string; context: { ids: string[] } }[];
    }>('POST', API_PATHS.batchRead('deals'), { inputs: [{ id: ids[0] }, { id: '12345' }] });
    expect(partial.status).toBe(207);
    expect(partial.body.results).toHaveLength(1);
    expect(partial.body.errors[0]).toMatchObject({
      category: 'OBJECT_NOT_FOUND',
      context: { ids: ['12345'] },
    });
    const tooMany = await api('POST', API_PATHS.batchRead('deals'), {
      inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i + 1) })),
    });
    expect(tooMany.status).toBe(400);
  });
});

describe('batch update', () => {
  it('answers 207 with per-record errors and applies the valid records', async () => {
    const [a, b, c] = sim
      .groundTruth(101)
      .deals.filter((d) => !d.archived)
      .slice(0, 3);
    const before = sim.admin.getRecord(101, 'deals', a!.id)!;
    const answer = await api<{
      status: string;
      results: Page['results'];
      numErrors: number;
      errors: { category: string; context: { ids: string[] }; errors: { code: string }[] }[];
    }>('POST', API_PATHS.batchUpdate('deals'), {
      inputs: [
        { id: a!.id, properties: { amount: '4242.5' } },
        { id: b!.id, properties: { amount: 'lots' } },
        { id: c!.id, properties: { no_such_property: 'x' } },
      ],
    });
    expect(answer.status).toBe(207);
    expect(answer.body.results.map((r) => r.id)).toEqual([a!.id]);
    expect(answer.body.results[0]!.properties.amount).toBe('4242.5');
    expect(answer.body.numErrors).toBe(2);
    expect(answer.body.errors.map((e) => [e.context.ids[0], e.errors[0]!.code])).toEqual([
      [b!.id, 'INVALID_FLOAT'],
      [c!.id, 'PROPERTY_DOESNT_EXIST'],
    ]);
    const after = sim.admin.getRecord(101, 'deals', a!.id)!;
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(after.properties.hs_lastmodifieddate).toBe(after.updatedAt);
    expect(sim.admin.getRecord(101, 'deals', b!.id)!.properties.amount).toBe(
      sim.groundTruth(101).deals.find((d) => d.id === b!.id)!.properties.amount,
    );
  });

  it('refuses read-only properties and answers 200 when every record is valid', async () => {
    const [a] = sim.groundTruth(101).deals.filter((d) => !d.archived);
    const refused = await api<{ errors: { errors: { code: string }[] }[] }>(
      'POST',
      API_PATHS.batchUpdate('deals'),
      { inputs: [{ id: a!.id, properties: { hs_is_closed_won: 'true' } }] },
    );
    expect(refused.status).toBe(207);
    expect(refused.body.errors[0]!.errors[0]!.code).toBe('READ_ONLY_VALUE');
    expect(
      (
        await api('POST', API_PATHS.batchUpdate('deals'), {
          inputs: [{ id: a!.id, properties: { dealname: 'Renamed' } }],
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await api('POST', API_PATHS.batchUpdate('deals'), {
          inputs: Array.from({ length: 101 }, () => ({ id: a!.id, properties: {} })),
        })
      ).status,
    ).toBe(400);
  });

  it('moves calculated deal properties with the stage', async () => {
    const open = sim
      .groundTruth(101)
      .deals.find((d) => d.properties.hs_is_closed === 'false' && d.properties.pipeline === 'default')!;
    const answer = await api('POST', API_PATHS.batchUpdate('deals'), {
      inputs: [{ id: open.id, properties: { dealstage: 'closedwon' } }],
    });
    expect(answer.status).toBe(200);
    const deal = sim.admin.getRecord(101, 'deals', open.id)!;
    expect(deal.properties).toMatchObject({
      hs_is_closed: 'true',
      hs_is_closed_won: 'true',
      hs_deal_stage_probability: '1',
    });
    expect(deal.properties.hs_v2_date_entered_closedwon).toBe(deal.updatedAt);
    const wrongPipeline = await api<{ errors: { errors: { code: string }[] }[] }>(
      'POST',
      API_PATHS.batchUpdate('deals'),
      { inputs: [{ id: open.id, properties: { dealstage: '75318645' } }] },
    );
    expect(wrongPipeline.status).toBe(207);
  });
});

describe('merge', () => {
  it('keeps the primary, lists the merged id, and resolves the merged-away id to the survivor', async () => {
    const [primary, other] = sim
      .groundTruth(101)
      .contacts.filter((c) => !c.archived && !c.mergedInto)
      .slice(-2);
    const merged = await api<Page['results'][number]>('POST', API_PATHS.merge('contacts'), {
      primaryObjectId: primary!.id,
      objectIdToMerge: other!.id,
    });
    expect(merged.status).toBe(200);
    expect(merged.body.id).toBe(primary!.id);
    const survivor = await api<Page['results'][number]>(
      'GET',
      `${API_PATHS.object('contacts', other!.id)}?properties=hs_merged_object_ids`,
    );
    expect(survivor.status).toBe(200);
    expect(survivor.body.id).toBe(primary!.id);
    expect(survivor.body.properties.hs_merged_object_ids).toBe(other!.id);
    const batch = await api<{ results: { id: string }[] }>('POST', API_PATHS.batchRead('contacts'), {
      inputs: [{ id: other!.id }],
    });
    expect(batch.body.results.map((r) => r.id)).toEqual([primary!.id]);
    const truth = sim.groundTruth(101);
    expect(truth.contacts.find((c) => c.id === other!.id)!.mergedInto).toBe(primary!.id);
    expect(truth.merges).toContainEqual(
      expect.objectContaining({ primaryId: primary!.id, mergedId: other!.id }),
    );
  });
});

describe('associations, pipelines, properties, owners, account', () => {
  it('batch-reads deal→contact associations in the v4 shape, with errors for deals without contacts', async () => {
    const truth = sim.groundTruth(101);
    const linked = truth.associations.dealContacts;
    const dealWithContacts = linked[0]!.dealId;
    const dealWithout = truth.deals.find((d) => !linked.some((l) => l.dealId === d.id))!.id;
    const answer = await api<{
      results: { from: { id: string }; to: { toObjectId: string; associationTypes: unknown[] }[] }[];
      errors: { subCategory: unknown }[];
    }>('POST', API_PATHS.associationsBatchRead('deals', 'contacts'), {
      inputs: [{ id: dealWithContacts }, { id: dealWithout }],
    });
    expect(answer.status).toBe(207);
    expect(answer.body.results[0]!.from.id).toBe(dealWithContacts);
    // The 2026-09 associations spec: toObjectId a string, label a string, errors[].subCategory an object.
    expect(answer.body.results[0]!.to.every((t) => typeof t.toObjectId === 'string')).toBe(true);
    expect(answer.body.results[0]!.to.map((t) => t.toObjectId).sort()).toEqual(
      linked
        .filter((l) => l.dealId === dealWithContacts)
        .map((l) => l.contactId)
        .sort(),
    );
    expect(answer.body.results[0]!.to[0]!.associationTypes).toEqual([
      { category: 'HUBSPOT_DEFINED', typeId: 3, label: '' },
    ]);
    expect(answer.body.errors[0]!.subCategory).toEqual({ code: 'crm.associations.NO_ASSOCIATIONS_FOUND' });
    const reverse = await api<{ results: { to: { associationTypes: { typeId: number }[] }[] }[] }>(
      'POST',
      API_PATHS.associationsBatchRead('0-1', '0-3'),
      { inputs: [{ id: linked[0]!.contactId }] },
    );
    expect(reverse.body.results[0]!.to[0]!.associationTypes[0]!.typeId).toBe(4);
    expect(
      (
        await api('POST', API_PATHS.associationsBatchRead('deals', 'contacts'), {
          inputs: Array.from({ length: 1000 }, (_, i) => ({ id: String(i) })),
        })
      ).status,
    ).toBe(207);
    expect(
      (
        await api('POST', API_PATHS.associationsBatchRead('deals', 'contacts'), {
          inputs: Array.from({ length: 1001 }, (_, i) => ({ id: String(i) })),
        })
      ).status,
    ).toBe(400);
  });

  it('serves two deal pipelines with string metadata, one with numeric stage ids', async () => {
    const answer = await api<{
      results: {
        id: string;
        stages: {
          id: string;
          metadata: { isClosed: string; probability: string };
          writePermissions: string;
        }[];
      }[];
    }>('GET', API_PATHS.pipelines('deals'));
    const permissions = new Set(answer.body.results.flatMap((p) => p.stages.map((s) => s.writePermissions)));
    // The 2026-09 pipelines spec's enum.
    for (const p of permissions)
      expect(['CRM_PERMISSIONS_ENFORCEMENT', 'INTERNAL_ONLY', 'READ_ONLY']).toContain(p);
    expect(answer.body.results.map((p) => p.id)).toEqual(['default', '75318642']);
    const won = answer.body.results[0]!.stages.find((s) => s.id === 'closedwon')!;
    expect(won.metadata).toEqual({ isClosed: 'true', probability: '1.0' });
    expect(answer.body.results[1]!.stages.every((s) => /^\d+$/.test(s.id))).toBe(true);
  });

  it('lists properties with the custom lifecycle stage, creates groups and properties, 409 on an existing name', async () => {
    const lifecycle = await api<{ options: { value: string }[] }>(
      'GET',
      `${API_PATHS.properties('contacts')}/lifecyclestage`,
    );
    expect(lifecycle.body.options.map((o) => o.value)).toContain('153180554');
    expect(
      (await api('POST', API_PATHS.propertyGroups('deals'), { name: 'kpi_bridge', label: 'KPI Bridge' }))
        .status,
    ).toBe(201);
    expect(
      (await api('POST', API_PATHS.propertyGroups('deals'), { name: 'kpi_bridge', label: 'KPI Bridge' }))
        .status,
    ).toBe(409);
    const definition = {
      name: 'kpi_velocity',
      label: 'Velocity',
      type: 'number',
      fieldType: 'number',
      groupName: 'kpi_bridge',
    };
    expect((await api('POST', API_PATHS.properties('deals'), definition)).status).toBe(201);
    const again = await api<ErrorAnswer>('POST', API_PATHS.properties('deals'), definition);
    expect(again.status).toBe(409);
    expect(again.body.subCategory).toBe('Properties.PROPERTY_WITH_NAME_EXISTS');
    expect(
      (
        await api('POST', API_PATHS.properties('deals'), {
          ...definition,
          name: 'kpi_other',
          groupName: 'no_such_group',
        })
      ).status,
    ).toBe(400);
    const deal = sim.groundTruth(101).deals.find((d) => !d.archived)!;
    expect(
      (
        await api('POST', API_PATHS.batchUpdate('deals'), {
          inputs: [{ id: deal.id, properties: { kpi_velocity: '12.5' } }],
        })
      ).status,
    ).toBe(200);
    expect(sim.admin.getRecord(101, 'deals', deal.id)!.properties.kpi_velocity).toBe('12.5');
    const list = await api<{ results: { name: string }[] }>('GET', API_PATHS.properties('deals'));
    expect(list.body.results.map((p) => p.name)).toContain('kpi_velocity');
  });

  it('serves owners, one archived, and the account details', async () => {
    const owners = await api<{ results: { id: string; userId: number; archived: boolean }[] }>(
      'GET',
      API_PATHS.owners,
    );
    expect(owners.body.results.length).toBe(8);
    expect(
      (await api<{ results: unknown[] }>('GET', `${API_PATHS.owners}?archived=true`)).body.results,
    ).toHaveLength(1);
    const account = await api<{
      portalId: number;
      timeZone: string;
      companyCurrency: string;
      utcOffset: string;
    }>('GET', API_PATHS.accountDetails);
    expect(account.body).toMatchObject({
      portalId: 101,
      timeZone: 'America/New_York',
      companyCurrency: 'USD',
    });
    expect(account.body.utcOffset).toMatch(/^-0[45]:00$/);
  });
});
