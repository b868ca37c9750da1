import { ADMIN_PREFIX, API_PATHS, type SimulatorHandle } from '../../../src/simulator';
import { parseSimulatorArgs, runSimulatorCommand } from '../../../src/main/commands/simulator';
import { createApi, startSmallSimulator } from './helpers';

let sim: SimulatorHandle;
let admin: ReturnType<typeof createApi>;

beforeAll(async () => {
  sim = await startSmallSimulator({ contacts: 40, deals: 10 });
  admin = createApi(`${sim.url}${ADMIN_PREFIX}`, null);
});
afterAll(() => sim.close());

type Truth = {
  results: { id: string; properties: Record<string, string>; archived: boolean; mergedInto: string | null }[];
  paging?: { next: { after: string } };
};

describe('the /_sim admin API over HTTP', () => {
  it('describes the simulator and issues tokens that work against the API', async () => {
    const info = await admin<{ portals: number[]; apps: { clientId: string; clientSecret: string }[] }>(
      'GET',
      '',
    );
    expect(info.body.portals).toEqual([101]);
    expect(info.body.apps[0]!.clientId).toBe(sim.app.clientId);
    const tokens = await admin<{ access_token: string }>('POST', '/portals/101/tokens', {});
    expect((await createApi(sim.url, tokens.body.access_token)('GET', API_PATHS.owners)).status).toBe(200);
  });

  it('creates, updates, moves, associates, archives, restores and merges records as a user', async () => {
    const created = await admin<{ id: string }>('POST', '/portals/101/objects/contacts', {
      properties: { email: 'http@example.com', lifecyclestage: 'lead' },
    });
    expect(created.status).toBe(201);
    const updated = await admin<{ properties: Record<string, string> }>(
      'PATCH',
      `/portals/101/objects/contacts/${created.body.id}`,
      { properties: { lifecyclestage: 'salesqualifiedlead' } },
    );
    expect(updated.body.properties.lifecyclestage).toBe('salesqualifiedlead');
    const deal = await admin<{ id: string }>('POST', '/portals/101/objects/deals', {
      properties: { dealname: 'HTTP deal', amount: 1000, dealstage: 'appointmentscheduled' },
      associations: [{ objectType: 'contacts', id: created.body.id }],
    });
    expect(deal.status).toBe(201);
    const moved = await admin<{ properties: Record<string, string> }>(
      'POST',
      `/portals/101/deals/${deal.body.id}/stage`,
      { stageId: 'closedwon' },
    );
    expect(moved.body.properties).toMatchObject({ dealstage: 'closedwon', hs_is_closed_won: 'true' });
    expect(
      (
        await admin<{ changed: boolean }>(
          'DELETE',
          `/portals/101/associations/deals/${deal.body.id}/contacts/${created.body.id}`,
        )
      ).body.changed,
    ).toBe(true);
    expect((await admin('DELETE', `/portals/101/objects/deals/${deal.body.id}`)).status).toBe(204);
    expect((await admin('POST', `/portals/101/objects/deals/${deal.body.id}/restore`, {})).status).toBe(204);
    const other = await admin<{ id: string }>('POST', '/portals/101/objects/contacts', {
      properties: { email: 'dup@example.com' },
    });
    const merged = await admin<{ properties: Record<string, string> }>(
      'POST',
      '/portals/101/objects/contacts/merge',
      { primaryObjectId: created.body.id, objectIdToMerge: other.body.id },
    );
    expect(merged.body.properties.hs_merged_object_ids).toBe(other.body.id);
    expect(
      (
        await admin('PATCH', `/portals/101/objects/contacts/${created.body.id}`, {
          properties: { no_such: 'x' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await admin('PATCH', '/portals/101/objects/contacts/1', { properties: { email: 'x@example.com' } }))
        .status,
    ).toBe(404);
  });

  it('pages the ground truth, streams it as NDJSON, and switches faults', async () => {
    const summary = await admin<{ counts: { contacts: { total: number } } }>(
      'GET',
      '/portals/101/ground-truth',
    );
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await admin<Truth>(
        'GET',
        `/portals/101/ground-truth/contacts?limit=15${after ? `&after=${after}` : ''}`,
      );
      ids.push(...page.body.results.map((r) => r.id));
      after = page.body.paging?.next.after;
    } while (after);
    expect(ids.length).toBe(summary.body.counts.contacts.total);
    expect(new Set(ids).size).toBe(ids.length);
    const ndjson = await fetch(`${sim.url}${ADMIN_PREFIX}/portals/101/ground-truth.ndjson`);
    const lines = (await ndjson.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string });
    expect(lines[0]!.kind).toBe('summary');
    expect(lines.filter((l) => l.kind === 'contacts')).toHaveLength(ids.length);
    expect(lines.some((l) => l.kind === 'deal_contact')).toBe(true);

    const faults = await admin<{ errorRate: number }>('PUT', '/portals/101/faults', { errorRate: 1 });
    expect(faults.body.errorRate).toBe(1);
    const api = createApi(sim.url, sim.admin.issueTokens(101).access_token);
    expect((await api('GET', API_PATHS.owners)).status).toBe(500);
    await admin('DELETE', '/portals/101/faults');
    expect((await api('GET', API_PATHS.owners)).status).toBe(200);
  });

  it('queries and clears the request log, and sets webhook switches', async () => {
    const api = createApi(sim.url, sim.admin.issueTokens(101).access_token);
    await admin('DELETE', '/requests');
    await api('GET', `${API_PATHS.objects('deals')}?limit=1`);
    const log = await admin<{ results: { path: string; status: number }[] }>(
      'GET',
      `/requests?portalId=101&pathPrefix=${encodeURIComponent('/crm/objects')}`,
    );
    expect(log.body.results).toEqual([
      expect.objectContaining({ path: API_PATHS.objects('deals'), status: 200 }),
    ]);
    const hooks = await admin<{ options: { paused: boolean; dropRate: number } }>('PUT', '/webhooks', {
      paused: true,
      dropRate: 0.25,
    });
    expect(hooks.body.options).toMatchObject({ paused: true, dropRate: 0.25 });
    await admin('PUT', '/webhooks', { paused: false, dropRate: 0 });
  });
});

describe('the simulator command', () => {
  it('parses the documented flags', () => {
    expect(
      parseSimulatorArgs([
        '--port',
        '4010',
        '--seed',
        '42',
        '--contacts',
        '10000',
        '--deals',
        '2000',
        '--portals',
        '2',
        '--latency-ms',
        '120',
        '--rate-scale',
        '1',
        '--webhook-target',
        'http://127.0.0.1:3000/webhooks',
      ]),
    ).toMatchObject({
      port: 4010,
      seed: '42',
      contacts: 10000,
      deals: 2000,
      portals: 2,
      latencyMs: 120,
      rateScale: 1,
      webhookTarget: 'http://127.0.0.1:3000/webhooks',
    });
    expect(() => parseSimulatorArgs(['--contacts', 'many'])).toThrow(/--contacts/);
    expect(() => parseSimulatorArgs(['--bogus'])).toThrow();
  });

  it('prints one line with the URL and credentials, and stops on SIGTERM', async () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const running = runSimulatorCommand([
        '--port',
        '0',
        '--seed',
        '7',
        '--contacts',
        '20',
        '--deals',
        '4',
        '--portals',
        '2',
        '--log-level',
        'silent',
      ]);
      for (let i = 0; i < 100 && lines.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(lines).toHaveLength(1);
      const match =
        /^HubSpot simulator listening on (http:\/\/127\.0\.0\.1:\d+) \(portals 101, 102; app_id \d+; client_id [0-9a-f-]{36}; client_secret [0-9a-f-]{36}; generated in \d+ ms\)\n$/.exec(
          lines[0]!,
        );
      expect(match).not.toBeNull();
      const response = await fetch(`${match![1]!}${ADMIN_PREFIX}`);
      expect(response.status).toBe(200);
      process.emit('SIGTERM');
      await running;
      await expect(fetch(`${match![1]!}${ADMIN_PREFIX}`)).rejects.toThrow();
    } finally {
      write.mockRestore();
    }
  });
});
