import { sql } from 'kysely';
import { runCommand } from '../../../src/main/cli';
import { runtimeOf } from '../../../src/main/commands/command';
import { purgeCommand } from '../../../src/main/commands/purge';
import { listTenantTables, purgeDuePortals, purgePortal } from '../../../src/install/purge';
import { installIntoSimulator } from '../../../src/simulator/browser-install';
import { startInstallHarness } from './helpers';
import type { InstallHarness } from './helpers';

let h: InstallHarness;

beforeAll(async () => {
  h = await startInstallHarness({ portals: 3 });
  for (const portalId of [101, 102, 103]) await installIntoSimulator({ apiUrl: h.api.url, portalId });
  // Tenant data beyond the install's own tables.
  for (const portalId of [101, 102, 103]) {
    await h.ctx.db
      .insertInto('kpi_runs')
      .values({ portal_id: portalId, status: 'succeeded', as_of: new Date(), started_at: new Date() })
      .execute();
  }
});
afterAll(() => h.cleanup());

/** Rows of the portal in every table of the schema that has a portal_id column (read from the catalog). */
async function rowsOfPortal(portalId: number): Promise<Record<string, number>> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select table_name from information_schema.columns
     where table_schema = current_schema() and column_name = 'portal_id'`.execute(h.ctx.db);
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const { rows } = await sql<{
      n: string;
    }>`select count(*) as n from ${sql.table(table_name)} where portal_id = ${portalId}`.execute(h.ctx.db);
    counts[table_name] = Number(rows[0]?.n ?? 0);
  }
  return counts;
}
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('purge', () => {
  it('covers every table with a portal_id, referencing tables before the tables they reference', async () => {
    const tables = await listTenantTables(h.ctx.db);
    expect(tables.length).toBeGreaterThan(10);
    expect(tables).toEqual(expect.arrayContaining(['portals', 'oauth_tokens', 'kpi_runs']));
    expect(tables.indexOf('oauth_tokens')).toBeLessThan(tables.indexOf('portals'));
  });

  it('`kpi-bridge purge --portal ID` leaves nothing of that portal in any tenant table, and the others untouched', async () => {
    await h.ctx.producer.enqueue('kpi.compute', { portalId: 101 }, { jobId: 'kpi-101-purge', delay: 60_000 });
    const before102 = await rowsOfPortal(102);
    expect(total(await rowsOfPortal(101))).toBeGreaterThanOrEqual(3);
    let out = '';
    const io = {
      stdout: { write: (s: string) => (out += s) } as unknown as NodeJS.WritableStream,
      stderr: process.stderr,
    };
    expect(await runCommand(purgeCommand, ['--portal', '101'], runtimeOf(h.ctx, io))).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      portalId: 101,
      deletedRows: { portals: 1, oauth_tokens: 1, kpi_runs: 1 },
    });
    const after = await rowsOfPortal(101);
    expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
    expect(await rowsOfPortal(102)).toEqual(before102);
    expect(await h.ctx.producer.queue('sync').getJob('sync-101-full')).toBeUndefined();
    expect(await h.ctx.producer.queue('kpi').getJob('kpi-101-purge')).toBeUndefined();
    expect(await h.ctx.producer.queue('sync').getJob('sync-102-full')).toBeDefined();
  });

  it('purges uninstalled portals once the grace period is over, not before', async () => {
    const now = new Date();
    await h.ctx.db
      .updateTable('portals')
      .set({ status: 'uninstalled', uninstalled_at: new Date(now.getTime() - 31 * 86_400_000) })
      .where('portal_id', '=', 102)
      .execute();
    await h.ctx.db
      .updateTable('portals')
      .set({ status: 'uninstalled', uninstalled_at: new Date(now.getTime() - 29 * 86_400_000) })
      .where('portal_id', '=', 103)
      .execute();
    expect(await purgeDuePortals(h.ctx.db, { graceDays: 30, now })).toEqual([102]);
    expect(total(await rowsOfPortal(102))).toBe(0);
    expect(total(await rowsOfPortal(103))).toBeGreaterThan(0);
    await purgePortal(h.ctx.db, 103);
    expect(total(await rowsOfPortal(103))).toBe(0);
  });
});
