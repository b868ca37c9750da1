import { setTimeout as sleep } from 'node:timers/promises';

import { startWorker } from '../../../src/main/worker';
import { createTestContext } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { seedPortal } from './seed';

const NOW = Date.now();
const DAY = 86_400_000;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
  await seedPortal(ctx.db, {
    portalId: 21,
    pipelines: [{ id: 'default', stages: [{ id: 'open', order: 0, closed: false, probability: 0.5 }] }],
    contacts: [{ id: 1, createdAt: NOW - 3 * DAY, source: 'DIRECT_TRAFFIC' }],
    deals: [],
    touches: [{ id: 't', contactId: 1, at: NOW - 4 * DAY, channel: 'DIRECT_TRAFFIC' }],
  });
});
afterAll(async () => {
  await ctx.cleanup();
});

async function runs(): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom('kpi_runs')
    .select('status')
    .where('portal_id', '=', 21)
    .orderBy('run_id')
    .execute();
  return rows.map((r) => r.status);
}

async function waitFor(predicate: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

test('a burst of triggers causes one kpi.compute run on the kpi queue; a later trigger another', async () => {
  const workers = startWorker(ctx, { queues: ['kpi'] });
  try {
    for (let i = 0; i < 5; i++) {
      await ctx.producer.enqueue('kpi.compute', { portalId: 21 }, { debounceMs: 400 });
      await sleep(50);
    }
    await waitFor(async () => (await runs()).includes('succeeded'));
    await sleep(800);
    expect(await runs()).toEqual(['succeeded']);

    await ctx.producer.enqueue('kpi.compute', { portalId: 21 }, { debounceMs: 200 });
    await waitFor(async () => (await runs()).length === 2 && !(await runs()).includes('running'));
    expect(await runs()).toEqual(['succeeded', 'succeeded']);
  } finally {
    await workers.close(5_000);
  }
}, 30_000);
