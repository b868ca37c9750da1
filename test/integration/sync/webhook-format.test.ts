import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookEventSchema } from '../../../src/hubspot/schemas';
import { loadManifest } from '../../../src/install/manifest';
import { startSimulator, type SimulatorHandle } from '../../../src/simulator';
import type { WebhookSubscription } from '../../../src/simulator/webhooks';
import { membersOf, normaliseEvent } from '../../../src/sync/webhook-intake';
import { pendingKey } from '../../../src/sync/pending-objects';
import { createTestContext, type TestContext } from '../../helpers/test-context';

/**
 * HubSpot's current webhook format, as the app's manifest subscribes to it: the simulator,
 * given the manifest's subscriptions, sends generic `object.*` events (objectTypeId; on
 * association changes fromObjectTypeId, toObjectTypeId, associationTypeId), and the
 * intake turns them, like the legacy ones, into the records to refresh.
 */
type Event = Record<string, unknown> & { subscriptionType: string };

let receiver: Server;
let sim: SimulatorHandle;
let ctx: TestContext;
let received: Event[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Event[]));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  const manifest = loadManifest();
  const subscriptions: WebhookSubscription[] = [
    ...manifest.webhooks.subscriptions.crmObjects.map((s) => ({
      subscriptionType: s.subscriptionType,
      objectType: s.objectType,
      ...(s.propertyName ? { propertyName: s.propertyName } : {}),
    })),
    ...(manifest.webhooks.subscriptions.hubEvents ?? []).map((s) => ({
      subscriptionType: s.subscriptionType,
    })),
  ];
  sim = await startSimulator({
    seed: 'webhook-format',
    portals: 1,
    contacts: 30,
    deals: 6,
    anchor: '2026-11-01T00:00:00Z',
    searchConsistencyMs: 0,
    webhooks: { batchDelayMs: 10 },
    apps: [
      {
        clientId: 'format-client',
        clientSecret: 'format-secret',
        appId: 4242,
        webhookTargetUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/hubspot`,
        subscriptions,
      },
    ],
  });
  ctx = await createTestContext();
  await ctx.db
    .insertInto('portals')
    .values({
      portal_id: 101,
      status: 'installed',
      installed_at: new Date(),
      time_zone: 'UTC',
      company_currency: 'USD',
    })
    .execute();
});
afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await ctx.cleanup();
});
beforeEach(() => {
  received = [];
});

it('the simulator sends what the manifest subscribes to: generic object.* events with type ids', async () => {
  const truth = sim.groundTruth(101);
  const [a, b] = truth.contacts.filter((x) => !x.archived && !x.mergedInto);
  const deal = truth.deals.find((d) => !d.archived)!;
  const created = sim.admin.createRecord(101, 'contacts', {
    email: 'generic@example.com',
    lifecyclestage: 'lead',
  });
  sim.admin.updateRecord(101, 'contacts', a!.id, { lifecyclestage: 'customer' });
  sim.admin.updateRecord(101, 'contacts', a!.id, { jobtitle: 'not subscribed' });
  sim.admin.addAssociation(101, { objectType: 'contacts', id: b!.id }, { objectType: 'deals', id: deal.id });
  await sim.webhooks.idle();

  expect(received.length).toBeGreaterThan(0);
  for (const e of received) expect(e.subscriptionType).toMatch(/^object\.|^contact\.privacyDeletion$/);
  expect(received).toContainEqual(
    expect.objectContaining({
      subscriptionType: 'object.creation',
      objectTypeId: '0-1',
      objectId: Number(created.id),
    }),
  );
  expect(received).toContainEqual(
    expect.objectContaining({
      subscriptionType: 'object.propertyChange',
      objectTypeId: '0-1',
      objectId: Number(a!.id),
      propertyName: 'lifecyclestage',
    }),
  );
  // Only the properties the manifest names.
  expect(received.some((e) => e.propertyName === 'jobtitle')).toBe(false);
  const associations = received.filter((e) => e.subscriptionType === 'object.associationChange');
  expect(
    associations
      .map((e) => [e.fromObjectTypeId, e.toObjectTypeId, e.associationTypeId, e.fromObjectId, e.toObjectId])
      .sort(),
  ).toEqual(
    [
      ['0-1', '0-3', 4, Number(b!.id), Number(deal.id)],
      ['0-3', '0-1', 3, Number(deal.id), Number(b!.id)],
    ].sort(),
  );
  for (const e of associations) expect(e).not.toHaveProperty('associationType');

  // Every event the simulator sent parses, and names the records to refresh.
  const members = received.flatMap((e) => membersOf(normaliseEvent(webhookEventSchema.parse(e))));
  expect(members).toEqual(expect.arrayContaining([`c:${created.id}`, `c:${a!.id}`, `d:${deal.id}`]));
});

it('the intake reads both formats into the same pending records', async () => {
  const base = { portalId: 101, occurredAt: Date.now(), subscriptionId: 7, changeSource: 'CRM_UI' };
  const generic = [
    { ...base, eventId: 1, subscriptionType: 'object.creation', objectTypeId: '0-1', objectId: 11 },
    {
      ...base,
      eventId: 2,
      subscriptionType: 'object.propertyChange',
      objectTypeId: '0-3',
      objectId: 21,
      propertyName: 'dealstage',
      propertyValue: 'closedwon',
    },
    {
      ...base,
      eventId: 3,
      subscriptionType: 'object.merge',
      objectTypeId: '0-1',
      objectId: 12,
      primaryObjectId: 13,
      mergedObjectIds: [14],
    },
    {
      ...base,
      eventId: 4,
      subscriptionType: 'object.associationChange',
      fromObjectTypeId: '0-1',
      toObjectTypeId: '0-3',
      associationTypeId: 4,
      associationCategory: 'HUBSPOT_DEFINED',
      fromObjectId: 15,
      toObjectId: 22,
      associationRemoved: false,
      isPrimaryAssociation: false,
    },
    {
      ...base,
      eventId: 5,
      subscriptionType: 'object.associationChange',
      fromObjectTypeId: '0-47',
      toObjectTypeId: '0-1',
      associationTypeId: 200,
      fromObjectId: 31,
      toObjectId: 15,
      associationRemoved: true,
    },
    { ...base, eventId: 6, subscriptionType: 'object.deletion', objectTypeId: '0-2', objectId: 99 },
  ];
  const legacy = [
    { ...base, eventId: 11, subscriptionType: 'contact.creation', objectId: 41 },
    {
      ...base,
      eventId: 12,
      subscriptionType: 'deal.associationChange',
      associationType: 'DEAL_TO_CONTACT',
      fromObjectId: 51,
      toObjectId: 41,
      associationRemoved: false,
    },
    { ...base, eventId: 13, subscriptionType: 'contact.privacyDeletion', objectId: 42 },
  ];
  const result = await ctx.webhookIntake.accept([...generic, ...legacy]);
  expect(result).toMatchObject({ accepted: 8, ignored: 1, invalid: 0 });
  const pending = (await ctx.redis.smembers(pendingKey(ctx.config.queue.prefix, 101))).sort();
  expect(pending).toEqual(
    ['c:11', 'c:12', 'c:13', 'c:14', 'd:21', 'd:22', 'm:31', 'c:41', 'd:51', 'p:42'].sort(),
  );
  // The same generic events again are duplicates, not new work.
  expect(await ctx.webhookIntake.accept(generic)).toMatchObject({ accepted: 0, duplicates: 5 });
});
