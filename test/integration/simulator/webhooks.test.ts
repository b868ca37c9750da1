import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatorHandle, WebhookEvent } from '../../../src/simulator';
import { startSmallSimulator } from './helpers';

type Delivery = {
  method: string;
  url: string;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  events: WebhookEvent[];
};

let sim: SimulatorHandle;
let receiver: Server;
let targetUrl: string;
let deliveries: Delivery[] = [];
/** Status codes to answer, in order; 204 once exhausted. */
let answers: number[] = [];
let delayMs = 0;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      deliveries.push({
        method: req.method ?? '',
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${req.url ?? ''}`,
        body,
        headers: req.headers,
        events: JSON.parse(body) as WebhookEvent[],
      });
      const status = answers.shift() ?? 204;
      setTimeout(() => res.writeHead(status).end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  targetUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/hubspot?source=simulator`;
  sim = await startSmallSimulator({
    contacts: 60,
    deals: 12,
    webhooks: { batchDelayMs: 20, retryBaseMs: 30, retryMaxMs: 200 },
  });
  sim.setWebhookTarget(targetUrl);
});

afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

beforeEach(async () => {
  await sim.webhooks.idle();
  deliveries = [];
  answers = [];
  delayMs = 0;
  sim.webhooks.setOptions({
    paused: false,
    dropRate: 0,
    duplicateRate: 0,
    reorder: false,
    timeoutMs: 5000,
    maxAttempts: 10,
  });
});

const allEvents = () => deliveries.flatMap((d) => d.events);

/** An implementation of signature v3 written from HubSpot's description, independent of the simulator's. */
function expectedV3(secret: string, method: string, url: string, body: string, timestamp: string): string {
  return createHmac('sha256', secret)
    .update(method + url + body + timestamp)
    .digest('base64');
}

describe('delivery', () => {
  it('POSTs JSON arrays signed with v3 (and v1) over the exact target URL and raw body', async () => {
    const contact = sim.admin.createRecord(101, 'contacts', {
      email: 'signed@example.com',
      firstname: 'Sig',
    });
    await sim.webhooks.idle();
    expect(deliveries.length).toBeGreaterThan(0);
    for (const delivery of deliveries) {
      expect(delivery.method).toBe('POST');
      expect(delivery.url).toBe(targetUrl);
      expect(delivery.headers['content-type']).toBe('application/json');
      const timestamp = String(delivery.headers['x-hubspot-request-timestamp']);
      expect(Math.abs(Number(timestamp) - Date.now())).toBeLessThan(60_000);
      expect(delivery.headers['x-hubspot-signature-v3']).toBe(
        expectedV3(sim.app.clientSecret, 'POST', targetUrl, delivery.body, timestamp),
      );
      expect(delivery.headers['x-hubspot-signature']).toBe(
        createHash('sha256')
          .update(sim.app.clientSecret + delivery.body)
          .digest('hex'),
      );
    }
    const creation = allEvents().find((e) => e.subscriptionType === 'contact.creation')!;
    expect(creation).toMatchObject({
      objectId: Number(contact.id),
      portalId: 101,
      appId: sim.app.appId,
      attemptNumber: 0,
      changeSource: 'CRM_UI',
    });
    expect(typeof creation.eventId).toBe('number');
    expect(typeof creation.subscriptionId).toBe('number');
    expect(typeof creation.occurredAt).toBe('number');
    const changes = allEvents().filter((e) => e.subscriptionType === 'contact.propertyChange');
    expect(changes).toContainEqual(
      expect.objectContaining({
        objectId: Number(contact.id),
        propertyName: 'email',
        propertyValue: 'signed@example.com',
      }),
    );
  });

  it('sends property changes, deletions, merges, association changes on both sides, and privacy deletions apart', async () => {
    const truth = sim.groundTruth(101);
    const [a, b, c] = truth.contacts.filter((x) => !x.archived && !x.mergedInto).slice(0, 3);
    const deal = truth.deals.find((d) => !d.archived)!;
    sim.admin.updateRecord(101, 'contacts', a!.id, { jobtitle: 'Head of Webhooks' });
    sim.admin.moveDealStage(101, deal.id, deal.properties.pipeline === 'default' ? 'closedwon' : '75318647');
    sim.admin.addAssociation(
      101,
      { objectType: 'deals', id: deal.id },
      { objectType: 'contacts', id: b!.id },
    );
    sim.admin.mergeRecords(101, 'contacts', a!.id, b!.id);
    sim.admin.archiveRecord(101, 'deals', deal.id);
    sim.admin.gdprDeleteContact(101, c!.id);
    await sim.webhooks.idle();
    const events = allEvents();
    expect(events).toContainEqual(
      expect.objectContaining({
        subscriptionType: 'contact.propertyChange',
        objectId: Number(a!.id),
        propertyName: 'jobtitle',
        propertyValue: 'Head of Webhooks',
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        subscriptionType: 'deal.propertyChange',
        objectId: Number(deal.id),
        propertyName: 'dealstage',
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        subscriptionType: 'deal.propertyChange',
        objectId: Number(deal.id),
        propertyName: 'hs_is_closed_won',
        propertyValue: 'true',
      }),
    );
    const associations = events.filter(
      (e) =>
        e.subscriptionType.endsWith('.associationChange') &&
        e.associationRemoved === false &&
        (e.fromObjectId === Number(b!.id) || e.toObjectId === Number(b!.id)),
    );
    expect(
      associations.map((e) => [e.subscriptionType, e.associationType, e.fromObjectId, e.toObjectId]).sort(),
    ).toEqual(
      [
        ['contact.associationChange', 'CONTACT_TO_DEAL', Number(b!.id), Number(deal.id)],
        ['deal.associationChange', 'DEAL_TO_CONTACT', Number(deal.id), Number(b!.id)],
      ].sort(),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        subscriptionType: 'contact.merge',
        primaryObjectId: Number(a!.id),
        mergedObjectIds: [Number(b!.id)],
        newObjectId: Number(a!.id),
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ subscriptionType: 'deal.deletion', objectId: Number(deal.id) }),
    );
    const privacyBatch = deliveries.find((d) =>
      d.events.some((e) => e.subscriptionType === 'contact.privacyDeletion'),
    )!;
    expect(privacyBatch.events.every((e) => e.subscriptionType === 'contact.privacyDeletion')).toBe(true);
    expect(events).toContainEqual(
      expect.objectContaining({ subscriptionType: 'contact.deletion', objectId: Number(c!.id) }),
    );
  });

  it('never puts more than 100 events in one POST', async () => {
    for (let i = 0; i < 60; i++) sim.admin.createRecord(101, 'contacts', { email: `bulk${i}@example.com` });
    await sim.webhooks.idle();
    expect(allEvents().length).toBeGreaterThanOrEqual(120);
    expect(Math.max(...deliveries.map((d) => d.events.length))).toBeLessThanOrEqual(100);
    expect(deliveries.length).toBeGreaterThan(1);
  });
});

describe('at least once', () => {
  it('retries non-2xx answers with a growing attemptNumber and a fresh signature', async () => {
    answers = [500, 404];
    const contact = sim.admin.createRecord(101, 'contacts', { email: 'retry@example.com' });
    await sim.webhooks.idle();
    const attempts = deliveries.filter((d) =>
      d.events.some((e) => e.objectId === Number(contact.id) && e.subscriptionType === 'contact.creation'),
    );
    expect(attempts.map((d) => d.events[0]!.attemptNumber)).toEqual([0, 1, 2]);
    expect(new Set(attempts.map((d) => d.events.map((e) => e.eventId).join(','))).size).toBe(1);
    for (const d of attempts)
      expect(d.headers['x-hubspot-signature-v3']).toBe(
        expectedV3(
          sim.app.clientSecret,
          'POST',
          targetUrl,
          d.body,
          String(d.headers['x-hubspot-request-timestamp']),
        ),
      );
  });

  it('retries a delivery that takes longer than the timeout', async () => {
    sim.webhooks.setOptions({ timeoutMs: 100 });
    delayMs = 300;
    sim.admin.createRecord(101, 'contacts', { email: 'slow@example.com' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    delayMs = 0;
    await sim.webhooks.idle();
    expect(deliveries.length).toBeGreaterThanOrEqual(2);
    expect(deliveries[deliveries.length - 1]!.events[0]!.attemptNumber).toBeGreaterThanOrEqual(1);
  });

  it('duplicates batches when asked', async () => {
    sim.webhooks.setOptions({ duplicateRate: 1 });
    sim.admin.createRecord(101, 'contacts', { email: 'twice@example.com' });
    await sim.webhooks.idle();
    const ids = allEvents().map((e) => e.eventId);
    expect(ids.length).toBe(2 * new Set(ids).size);
    expect(sim.webhooks.stats().duplicatedBatches).toBeGreaterThan(0);
  });

  it('shuffles events when asked to reorder', async () => {
    sim.webhooks.setOptions({ reorder: true });
    for (let i = 0; i < 10; i++)
      sim.admin.createRecord(101, 'contacts', { email: `shuffle${i}@example.com`, firstname: `S${i}` });
    await sim.webhooks.idle();
    const ids = allEvents().map((e) => e.eventId);
    expect([...ids].sort((x, y) => x - y)).not.toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('drops deliveries for good when asked, and holds them while paused', async () => {
    sim.webhooks.setOptions({ dropRate: 1 });
    sim.admin.createRecord(101, 'contacts', { email: 'lost@example.com' });
    await sim.webhooks.idle();
    expect(deliveries).toHaveLength(0);
    expect(sim.webhooks.stats().droppedEvents).toBeGreaterThan(0);

    sim.webhooks.setOptions({ dropRate: 0, paused: true });
    const held = sim.admin.createRecord(101, 'contacts', { email: 'held@example.com' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(deliveries).toHaveLength(0);
    expect(sim.webhooks.stats().queued).toBeGreaterThan(0);
    sim.webhooks.setOptions({ paused: false });
    await sim.webhooks.idle();
    expect(allEvents()).toContainEqual(
      expect.objectContaining({ subscriptionType: 'contact.creation', objectId: Number(held.id) }),
    );
  });
});
