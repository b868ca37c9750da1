import { runDemoCommand } from '../../../src/main/demo';
import { createDb } from '../../../src/db';
import { sql } from 'kysely';
import { deleteQueueKeys, TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '../../helpers/test-context';

/**
 * The README's "see it work" path, end to end in one process: simulator, install through
 * the OAuth redirects, full sync through the queue, KPI run through the queue.
 */
describe('demo --once', () => {
  const schema = uniqueName('demo');
  const queuePrefix = `{${uniqueName('demoq')}}`;
  const savedEnv = { ...process.env };

  afterAll(async () => {
    process.env = savedEnv;
    const db = createDb({ url: TEST_DATABASE_URL, poolMax: 1, schema: undefined });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
    await deleteQueueKeys(queuePrefix);
  });

  it('installs, syncs to an exact match with the simulator and computes KPIs, then prints a JSON summary', async () => {
    process.env.DATABASE_URL = TEST_DATABASE_URL;
    process.env.REDIS_URL = TEST_REDIS_URL;
    process.env.LOG_LEVEL = 'silent';
    let out = '';
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    let code: number;
    try {
      code = await runDemoCommand([
        '--once',
        '--contacts',
        '300',
        '--deals',
        '60',
        '--schema',
        schema,
        '--queue-prefix',
        queuePrefix,
      ]);
    } finally {
      write.mockRestore();
    }
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^HubSpot simulator {2}http:\/\/127\.0\.0\.1:\d+/);
    expect(lines[1]).toMatch(/^KPI Bridge API {5}http:\/\/127\.0\.0\.1:\d+/);
    expect(lines[2]).toMatch(/^KPI Bridge worker {2}queues .*sync.*kpi/);
    const summary = JSON.parse(lines[lines.length - 1]!) as {
      install: { portalId: number; scopes: string[]; propertiesCreated: number };
      sync: { contacts: number; deals: number; matchesSimulator: boolean };
      reports: { url: string; opened: string; views: Record<string, number> };
      kpi: {
        winRate: number | null;
        velocityPerDay: number | null;
        revenueBySource: Record<string, number | null>;
        speedToLead: { shareWithin5m: number | null; answered: number | null };
        brand: { visits: number | null; directVisits: number | null };
      };
      cards: Record<string, { status: number; state: string }>;
    };
    expect(summary.install.portalId).toBe(101);
    expect(summary.install.scopes).toContain('crm.objects.deals.read');
    expect(summary.install.propertiesCreated).toBeGreaterThan(10);
    expect(summary.sync).toMatchObject({ contacts: 300, deals: 60, matchesSimulator: true });
    if (summary.kpi.winRate !== null) {
      expect(summary.kpi.winRate).toBeGreaterThanOrEqual(0);
      expect(summary.kpi.winRate).toBeLessThanOrEqual(1);
    }
    expect(Object.keys(summary.kpi.revenueBySource).length).toBeGreaterThan(0);
    // Calls, emails and web traffic reached the mirror, and speed to lead and brand are figures.
    const sync = summary.sync as unknown as { calls: number; emails: number; trafficDays: number };
    expect(sync.calls).toBeGreaterThan(0);
    expect(sync.emails).toBeGreaterThan(0);
    expect(sync.trafficDays).toBeGreaterThan(60);
    expect(summary.kpi.speedToLead.answered).toBeGreaterThan(0);
    expect(summary.kpi.speedToLead.shareWithin5m).toEqual(expect.any(Number));
    expect(summary.kpi.brand.visits).toBeGreaterThan(0);
    expect(summary.kpi.brand.directVisits).toBeGreaterThan(0);
    // The signed card requests it printed, answered from the computed figures.
    expect(summary.cards).toEqual({
      deal: { status: 200, state: 'ready' },
      contact: { status: 200, state: 'ready' },
    });
    expect(lines.filter((l) => l.startsWith('  X-HubSpot-Signature-v3: '))).toHaveLength(2);
    // The report link opened the overview of the simulated portal, and every view answered.
    expect(summary.reports.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/reports\/101\/overview$/);
    expect(summary.reports.opened).toBe('/reports/101/overview');
    expect(Object.values(summary.reports.views)).toEqual([200, 200, 200, 200, 200, 200]);
  }, 120_000);
});
