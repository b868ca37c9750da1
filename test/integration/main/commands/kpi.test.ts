import { PassThrough } from 'node:stream';

import { runCommand } from '../../../../src/main/cli';
import { runtimeOf } from '../../../../src/main/commands/command';
import { kpiCommand } from '../../../../src/main/commands/kpi';
import { createTestContext } from '../../../helpers/test-context';
import type { TestContext } from '../../../helpers/test-context';
import { OPEN_WON_PIPELINE, seedPortal } from '../../kpi/seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

test('kpi --portal recomputes, reports progress on stderr and prints the headline on stdout', async () => {
  await seedPortal(ctx.db, {
    portalId: 31,
    pipelines: [OPEN_WON_PIPELINE],
    contacts: [{ id: 1, createdAt: NOW - 60 * DAY, source: 'REFERRALS' }],
    deals: [
      {
        id: 5,
        pipelineId: 'default',
        stageId: 'won',
        amount: 300,
        createdAt: NOW - 30 * DAY,
        closedAt: NOW - DAY,
        contactIds: [1],
      },
    ],
    touches: [{ id: 't', contactId: 1, at: NOW - 61 * DAY, channel: 'REFERRALS' }],
  });
  const out = capture();
  const err = capture();
  const code = await runCommand(
    kpiCommand,
    ['--portal', '31', '--now', new Date(NOW).toISOString()],
    runtimeOf(ctx, { stdout: out.stream, stderr: err.stream }),
  );
  expect(code).toBe(0);
  const headline = JSON.parse(out.text()) as Record<string, unknown>;
  expect(headline).toMatchObject({
    portalId: 31,
    pipelineId: 'default',
    winRate: 1,
    averageWonDealSize: 300,
    salesCycleDays: 29,
    qualifiedOpportunities: 1,
    revenueBySource: { REFERRALS: 300 },
  });
  expect(headline.velocityPerDay).toBeCloseTo(300 / 29);
  expect(err.text()).toContain('kpi: attribution credits');
});

test('kpi without a valid --portal is a usage error', async () => {
  const err = capture();
  const code = await runCommand(kpiCommand, ['--portal', 'x'], {
    ...runtimeOf(ctx, { stdout: capture().stream, stderr: err.stream }),
    context: () => Promise.reject(new Error('must not connect')),
  });
  expect(code).toBe(2);
  expect(err.text()).toContain('Usage: kpi-bridge kpi');
});
