import { createKpiService } from '../../../src/kpi/kpi.service';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { OPEN_WON_PIPELINE, seedPortal } from './seed';
import type { SeedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const PORTAL = 61;
const CHANNELS = ['ORGANIC_SEARCH', 'PAID_SEARCH', 'EMAIL_MARKETING', 'REFERRALS'];

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

/**
 * The run writes the contact rows in two halves (contact_id % 2), one on each of its connections:
 * every live contact, of either half, gets exactly one row with its own figures.
 */
test('every live contact gets one contact row with its touches and deals, whichever half it is in', async () => {
  const contacts = Array.from({ length: 24 }, (_, i) => ({
    id: 1000 + i * 7, // odd and even ids alike
    createdAt: NOW - (40 + i) * DAY,
    source: i % 3 === 0 ? null : 'REFERRALS',
    archived: i === 5,
  }));
  const touches: SeedPortal['touches'][number][] = [];
  contacts.forEach((c, i) => {
    for (let k = 0; k < i % 4; k++)
      touches.push({
        id: `t${c.id}-${k}`,
        contactId: c.id,
        at: c.createdAt - (k + 1) * DAY + k * 3_600_000,
        channel: CHANNELS[(i + k) % CHANNELS.length]!,
      });
  });
  const deals: SeedPortal['deals'][number][] = contacts
    .filter((_, i) => i % 2 === 0 || i % 5 === 0)
    .map((c, j) => ({
      id: 500 + j,
      pipelineId: 'default',
      stageId: j % 3 === 0 ? 'open' : 'won',
      amount: 100 * (j + 1),
      createdAt: c.createdAt + DAY,
      closedAt: j % 3 === 0 ? null : c.createdAt + (10 + j) * DAY,
      contactIds: [c.id],
    }));
  await seedPortal(ctx.db, {
    portalId: PORTAL,
    pipelines: [OPEN_WON_PIPELINE],
    contacts,
    deals,
    touches,
  });
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL, { now: NOW });

  const rows = await ctx.db
    .selectFrom('kpi_contact_rows')
    .select(['contact_id', 'touches', 'first_touch_channel', 'last_touch_channel', 'won_deals', 'open_deals'])
    .where('portal_id', '=', PORTAL)
    .orderBy('contact_id')
    .execute();
  const live = contacts.filter((c) => c.archived !== true);
  const expected = live.map((c) => {
    const mine = touches.filter((t) => t.contactId === c.id).sort((a, b) => a.at - b.at);
    const dealsOf = deals.filter((d) => d.contactIds.includes(c.id));
    return {
      contact_id: c.id,
      touches: mine.length,
      first_touch_channel: mine[0]?.channel ?? null,
      last_touch_channel: mine.at(-1)?.channel ?? null,
      won_deals: dealsOf.filter((d) => d.stageId === 'won').length,
      open_deals: dealsOf.filter((d) => d.stageId === 'open').length,
    };
  });
  expect(new Set(live.map((c) => c.id % 2))).toEqual(new Set([0, 1]));
  expect(rows.map((r) => ({ ...r, contact_id: Number(r.contact_id) }))).toEqual(expected);
});
