import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { runCommand } from '../../../src/main/cli';
import { runtimeOf } from '../../../src/main/commands/command';
import { importCommand } from '../../../src/main/commands/import';
import { CsvImportError, importCsv } from '../../../src/sync';
import { createTestContext } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';

const PORTAL = 7101;
const OTHER = 7102;
let ctx: TestContext;
let dir: string;

beforeAll(async () => {
  ctx = await createTestContext();
  dir = mkdtempSync(path.join(tmpdir(), 'kpi-import-'));
  for (const id of [PORTAL, OTHER])
    await ctx.db
      .insertInto('portals')
      .values({ portal_id: id, status: 'installed', installed_at: new Date() })
      .execute();
});
afterAll(async () => {
  await ctx.cleanup();
});

async function traffic(portalId: number) {
  const rows = await ctx.db
    .selectFrom('web_traffic_daily')
    .select([sql<string>`day::text`.as('day'), 'source', 'visits'])
    .where('portal_id', '=', portalId)
    .orderBy('day')
    .orderBy('source')
    .execute();
  return rows;
}

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  const text = { out: '', err: '' };
  out.on('data', (d: Buffer) => (text.out += d.toString()));
  err.on('data', (d: Buffer) => (text.err += d.toString()));
  return { io: { stdout: out, stderr: err }, text };
}

function runImport(args: string[], streams: ReturnType<typeof io>['io']): Promise<number> {
  return runCommand(importCommand, args, runtimeOf(ctx, streams));
}

test('importing traffic is idempotent by day and source; a re-upload takes the new values; other portals untouched', async () => {
  await importCsv(ctx.db, OTHER, 'traffic', '2026-03-01,DIRECT_TRAFFIC,999\n');
  const first = await importCsv(
    ctx.db,
    PORTAL,
    'traffic',
    'day,source,visits\n2026-03-01,DIRECT_TRAFFIC,12\n2026-03-02,ORGANIC_SEARCH,5\n',
  );
  expect(first).toEqual({ kind: 'traffic', rows: 2, firstDay: '2026-03-01', lastDay: '2026-03-02' });
  await importCsv(
    ctx.db,
    PORTAL,
    'traffic',
    'day,source,visits\n2026-03-01,DIRECT_TRAFFIC,12\n2026-03-02,ORGANIC_SEARCH,5\n',
  );
  await importCsv(ctx.db, PORTAL, 'traffic', '2026-03-02,ORGANIC_SEARCH,6\n2026-03-03,PAID_SEARCH,1\n');
  expect(await traffic(PORTAL)).toEqual([
    { day: '2026-03-01', source: 'DIRECT_TRAFFIC', visits: 12 },
    { day: '2026-03-02', source: 'ORGANIC_SEARCH', visits: 6 },
    { day: '2026-03-03', source: 'PAID_SEARCH', visits: 1 },
  ]);
  expect(await traffic(OTHER)).toEqual([{ day: '2026-03-01', source: 'DIRECT_TRAFFIC', visits: 999 }]);
});

test('a file with one bad line writes nothing', async () => {
  const before = await traffic(PORTAL);
  await expect(
    importCsv(ctx.db, PORTAL, 'traffic', '2026-04-01,DIRECT_TRAFFIC,3\n2026-04-02,DIRECT_TRAFFIC,x\n'),
  ).rejects.toThrow(CsvImportError);
  expect(await traffic(PORTAL)).toEqual(before);
});

test('kpi-bridge import: branded search by day, errors name the line, unknown portals refused', async () => {
  const good = path.join(dir, 'branded.csv');
  writeFileSync(good, 'day,searches\n2026-03-01,140\n2026-03-02,90\n');
  const ok = io();
  expect(await runImport(['branded-search', '--portal', String(PORTAL), good], ok.io)).toBe(0);
  expect(JSON.parse(ok.text.out)).toEqual({
    portalId: PORTAL,
    kind: 'branded-search',
    rows: 2,
    firstDay: '2026-03-01',
    lastDay: '2026-03-02',
  });
  writeFileSync(good, 'day,searches\n2026-03-02,95\n');
  expect(await runImport(['branded-search', '--portal', String(PORTAL), good], io().io)).toBe(0);
  const stored = await ctx.db
    .selectFrom('branded_search_daily')
    .select([sql<string>`day::text`.as('day'), 'searches'])
    .where('portal_id', '=', PORTAL)
    .orderBy('day')
    .execute();
  expect(stored.map((r) => [r.day, r.searches])).toEqual([
    ['2026-03-01', 140],
    ['2026-03-02', 95],
  ]);

  const bad = path.join(dir, 'bad.csv');
  writeFileSync(bad, 'day,source,visits\n2026-03-01,DIRECT_TRAFFIC,ten\n');
  const refused = io();
  expect(await runImport(['traffic', '--portal', String(PORTAL), bad], refused.io)).toBe(1);
  expect(refused.text.err).toContain('line 2: visits must be a whole number ≥ 0');

  const unknown = io();
  expect(await runImport(['traffic', '--portal', '999999', good], unknown.io)).toBe(1);
  expect(unknown.text.err).toContain('portal 999999 is not installed');
  const usage = io();
  expect(await runImport(['visits', '--portal', String(PORTAL), good], usage.io)).toBe(2);
  expect(usage.text.err).toContain('Usage: kpi-bridge import traffic|branded-search --portal ID FILE');
});
