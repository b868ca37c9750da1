import nock from 'nock';
import pino from 'pino';
import { z } from 'zod';
import { createHubSpotClientFactory } from '../../../src/hubspot/client';
import { HUBSPOT_PATHS } from '../../../src/hubspot/endpoints';
import { HubSpotApiError } from '../../../src/hubspot/errors';
import { associationBatchReadSchema, standardErrorSchema } from '../../../src/hubspot/schemas';
import { readContactAssociations } from '../../../src/sync/crm-reader';

/**
 * The answers as HubSpot's 2026-09 specs write them (where the simulator used to differ):
 * a batch answer's errors[].subCategory is an object, association ids and labels are strings.
 */
const BASE = 'https://api.hubapi.test';
afterEach(() => nock.cleanAll());

const client = () =>
  createHubSpotClientFactory({
    apiBaseUrl: BASE,
    getAccessToken: () => Promise.resolve('token'),
    logger: pino({ level: 'silent' }),
    maxAttempts: 1,
  }).forPortal(1);

it('a 207 with object subCategories parses, keeping each error message, and the sync reads the string ids', async () => {
  const answer = {
    status: 'COMPLETE',
    results: [
      {
        from: { id: '11' },
        to: [
          { toObjectId: '501', associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 3, label: '' }] },
        ],
      },
    ],
    numErrors: 1,
    errors: [
      {
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        subCategory: { code: 'crm.associations.NO_ASSOCIATIONS_FOUND' },
        message: 'No contact is associated with deal 12.',
        context: { fromObjectId: ['12'] },
        errors: [],
        links: {},
      },
    ],
    startedAt: '2026-11-01T00:00:00Z',
    completedAt: '2026-11-01T00:00:01Z',
  };
  const parsed = associationBatchReadSchema.parse(answer);
  expect(parsed.errors?.[0]).toMatchObject({
    message: 'No contact is associated with deal 12.',
    subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
  });
  expect(parsed.results[0]!.to[0]).toEqual({
    toObjectId: '501',
    associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 3, label: '' }],
  });
  nock(BASE).post(HUBSPOT_PATHS.associationsBatchRead('deals', 'contacts')).reply(207, answer);
  expect(await readContactAssociations(client(), 'deals', [11, 12])).toEqual([
    { otherId: 11, contactId: 501 },
  ]);
});

it('an error body whose subCategory is an object (or anything odd) keeps its message in the thrown error', async () => {
  for (const subCategory of [{ code: 'crm.objects.SOMETHING' }, 42, ['x']]) {
    nock(BASE).get(HUBSPOT_PATHS.owners()).reply(400, {
      status: 'error',
      category: 'VALIDATION_ERROR',
      subCategory,
      message: 'Property values were not valid',
      correlationId: 'c-1',
    });
    const error = await client()
      .request({ method: 'GET', path: HUBSPOT_PATHS.owners() }, z.unknown())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubSpotApiError);
    expect((error as HubSpotApiError).message).toContain('Property values were not valid');
    expect((error as HubSpotApiError).category).toBe('VALIDATION_ERROR');
    expect((error as HubSpotApiError).correlationId).toBe('c-1');
  }
  expect(standardErrorSchema.parse({ message: 'm', subCategory: { a: 1 } }).subCategory).toBe('{"a":1}');
  expect(standardErrorSchema.parse({ message: 'm', subCategory: 'plain' }).subCategory).toBe('plain');
});
