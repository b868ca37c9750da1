import nock from 'nock';
import pino from 'pino';
import { createHubSpotClientFactory } from '../../../src/hubspot/client';
import { HUBSPOT_PATHS } from '../../../src/hubspot/endpoints';
import {
  accountDetailsSchema,
  associationBatchReadSchema,
  objectPageSchema,
  pipelinesSchema,
  propertyDefinitionSchema,
  webhookEventSchema,
} from '../../../src/hubspot/schemas';
import { readContactAssociations } from '../../../src/sync/crm-reader';

/**
 * The adapter owns the one set of HubSpot answer shapes; the sync reads through them. The
 * samples are the shapes of the integrator reference (§2): where the sync's former copy of
 * these schemas disagreed with the adapter's, the answers below decide.
 */
const BASE = 'https://api.hubapi.test';

afterEach(() => nock.cleanAll());

it('v4 association answers: integer toObjectId with association types parse, and the sync gets numeric pairs', async () => {
  const answer = {
    status: 'COMPLETE',
    results: [
      {
        from: { id: '11' },
        to: [
          { toObjectId: 501, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 3, label: null }] },
          { toObjectId: 502, associationTypes: [{ category: 'USER_DEFINED', typeId: 7, label: 'Buyer' }] },
        ],
      },
    ],
    startedAt: '2026-11-01T00:00:00Z',
    completedAt: '2026-11-01T00:00:01Z',
  };
  const parsed = associationBatchReadSchema.parse(answer);
  expect(parsed.results[0]!.to.map((t) => t.toObjectId)).toEqual(['501', '502']);

  nock(BASE).post(HUBSPOT_PATHS.associationsBatchRead('deals', 'contacts')).reply(200, answer);
  const client = createHubSpotClientFactory({
    apiBaseUrl: BASE,
    getAccessToken: () => Promise.resolve('token'),
    logger: pino({ level: 'silent' }),
  }).forPortal(1);
  expect(await readContactAssociations(client, 'deals', [11])).toEqual([
    { otherId: 11, contactId: 501 },
    { otherId: 11, contactId: 502 },
  ]);
});

it('pipeline stage metadata: string values per the reference, kept as strings', () => {
  const parsed = pipelinesSchema.parse({
    results: [
      {
        id: 'default',
        label: 'Sales',
        displayOrder: 0,
        archived: false,
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
        stages: [
          {
            id: 'closedwon',
            label: 'Won',
            displayOrder: 6,
            archived: false,
            metadata: { isClosed: 'true', probability: '1.0' },
            writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
          },
        ],
      },
    ],
  });
  expect(parsed.results[0]!.stages[0]!.metadata).toEqual({ isClosed: 'true', probability: '1.0' });
});

it('property options: displayOrder and hidden default when absent, so a lifecycle stage row is complete', () => {
  const parsed = propertyDefinitionSchema.parse({
    name: 'lifecyclestage',
    label: 'Lifecycle stage',
    type: 'enumeration',
    fieldType: 'radio',
    groupName: 'contactinformation',
    options: [
      { label: 'Lead', value: 'lead' },
      { label: 'Custom', value: '153180554', displayOrder: 9, hidden: true },
    ],
  });
  expect(parsed.options).toEqual([
    { label: 'Lead', value: 'lead', displayOrder: 0, hidden: false },
    { label: 'Custom', value: '153180554', displayOrder: 9, hidden: true },
  ]);
});

it('list pages with history keep every history field and the cursor', () => {
  const parsed = objectPageSchema.parse({
    results: [
      {
        id: 7,
        properties: { lifecyclestage: 'lead', email: null },
        propertiesWithHistory: {
          lifecyclestage: [
            {
              value: 'lead',
              timestamp: '2026-01-01T00:00:00Z',
              sourceType: 'CRM_UI',
              sourceId: 'userId:1',
              sourceLabel: null,
              updatedByUserId: 1,
            },
          ],
        },
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-02T00:00:00Z',
        archived: false,
      },
    ],
    paging: { next: { after: '8', link: 'https://api.hubapi.com/…' } },
  });
  expect(parsed.results[0]!.id).toBe('7');
  expect(parsed.results[0]!.propertiesWithHistory!.lifecyclestage![0]!.sourceId).toBe('userId:1');
  expect(parsed.paging?.next?.after).toBe('8');
});

it('account details: time zone and company currency are required (the tenant row needs both)', () => {
  expect(accountDetailsSchema.safeParse({ portalId: 1 }).success).toBe(false);
  expect(
    accountDetailsSchema.parse({ portalId: 1, timeZone: 'Europe/Berlin', companyCurrency: 'EUR' }),
  ).toMatchObject({
    additionalCurrencies: [],
  });
});

it('webhook events: the reference payload parses; digit-string ids become numbers; an event without portal is refused', () => {
  const reference = {
    objectId: 1246965,
    propertyName: 'lifecyclestage',
    propertyValue: 'subscriber',
    changeSource: 'CRM_UI',
    eventId: 3816279340,
    subscriptionId: 25,
    portalId: 33,
    appId: 1160452,
    occurredAt: 1462216307945,
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
  };
  expect(webhookEventSchema.parse(reference)).toMatchObject({
    portalId: 33,
    objectId: 1246965,
    subscriptionType: 'contact.propertyChange',
  });
  expect(
    webhookEventSchema.parse({ portalId: '33', eventType: 'deal.merge', mergedObjectIds: ['7', 8] }),
  ).toEqual({
    portalId: 33,
    eventType: 'deal.merge',
    mergedObjectIds: [7, 8],
  });
  expect(webhookEventSchema.safeParse({ objectId: 1 }).success).toBe(false);
  expect(webhookEventSchema.safeParse({ portalId: 'x1' }).success).toBe(false);
});
