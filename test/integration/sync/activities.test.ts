import { compareWithGroundTruth } from '../../../src/sync/compare';
import { runCatchup } from '../../../src/sync/catchup';
import { runFullSync } from '../../../src/sync/full-sync';
import { refreshObjects } from '../../../src/sync/refresh';
import { membersOf, normaliseEvent } from '../../../src/sync/webhook-intake';
import { createTestContext, type TestContext } from '../../helpers/test-context';
import { insertPortal, startSyncWorld, type SyncWorld } from './helpers';

/**
 * Calls and emails after the full sync: created, changed, re-associated and deleted in HubSpot,
 * found by a refresh (what a webhook asks for) and by the catch-up (what webhooks missed), and
 * the mirror equal to the ground truth after each.
 */
const PORTAL = 101;
let ctx: TestContext;
let world: SyncWorld;

beforeAll(async () => {
  ctx = await createTestContext();
  world = await startSyncWorld({
    prefix: ctx.config.queue.prefix,
    contacts: 80,
    deals: 15,
    meetings: 20,
    searchConsistencyMs: 100,
  });
  await insertPortal(ctx.db, PORTAL);
  await runFullSync({ db: ctx.db, hubspot: world.hubspot, logger: ctx.logger }, PORTAL);
});
afterAll(async () => {
  await world.close();
  await ctx.cleanup();
});

const deps = () => ({ db: ctx.db, hubspot: world.hubspot, logger: ctx.logger });

async function differences(): Promise<string[]> {
  return (await compareWithGroundTruth(ctx.db, PORTAL, world.sim.groundTruth(PORTAL))).differences;
}

test('object.* events of calls and emails ask for the call or email (and association changes for its side)', () => {
  const base = { portalId: PORTAL, subscriptionType: 'object.creation', objectId: 5 };
  expect(membersOf(normaliseEvent({ ...base, objectTypeId: '0-48' }))).toEqual(['k:5']);
  expect(membersOf(normaliseEvent({ ...base, objectTypeId: '0-49' }))).toEqual(['e:5']);
  expect(
    membersOf(
      normaliseEvent({
        portalId: PORTAL,
        subscriptionType: 'contact.associationChange',
        associationType: 'CONTACT_TO_CALL',
        fromObjectId: 1,
        toObjectId: 9,
      }),
    ),
  ).toEqual(['k:9']);
  expect(
    membersOf(
      normaliseEvent({
        portalId: PORTAL,
        subscriptionType: 'contact.associationChange',
        associationType: 'EMAIL_TO_CONTACT',
        fromObjectId: 7,
        toObjectId: 1,
      }),
    ),
  ).toEqual(['e:7']);
});

test('a refresh of named calls and emails writes what HubSpot holds now, and archives deleted ones', async () => {
  const truth = world.sim.groundTruth(PORTAL, { includeHistory: false });
  const contacts = truth.contacts.filter((c) => !c.archived && c.mergedInto === null);
  const email = truth.emails.find((e) => !e.archived)!;
  const call = truth.calls.find((c) => !c.archived)!;
  const created = world.sim.admin.createRecord(
    PORTAL,
    'calls',
    { hs_timestamp: '2026-10-30T10:00:00.000Z', hs_call_direction: 'OUTBOUND' },
    { associations: [{ objectType: 'contacts', id: contacts[0]!.id }] },
  );
  world.sim.admin.updateRecord(PORTAL, 'emails', email.id, { hs_email_direction: 'INCOMING_EMAIL' });
  world.sim.admin.addAssociation(
    PORTAL,
    { objectType: 'emails', id: email.id },
    { objectType: 'contacts', id: contacts[1]!.id },
  );
  world.sim.admin.archiveRecord(PORTAL, 'calls', call.id);
  expect((await differences()).length).toBeGreaterThan(0);
  const result = await refreshObjects(deps(), PORTAL, {
    calls: [Number(created.id), Number(call.id)],
    emails: [Number(email.id)],
  });
  expect(result).toMatchObject({ calls: 1, emails: 1, archived: 1 });
  expect(await differences()).toEqual([]);
});

test('the catch-up finds what no webhook announced: new, changed, re-associated and deleted activities', async () => {
  const truth = world.sim.groundTruth(PORTAL, { includeHistory: false });
  const contacts = truth.contacts.filter((c) => !c.archived && c.mergedInto === null);
  const emails = truth.emails.filter((e) => !e.archived);
  const calls = truth.calls.filter((c) => !c.archived);
  world.sim.admin.createRecord(
    PORTAL,
    'emails',
    { hs_timestamp: '2026-10-31T09:00:00.000Z', hs_email_direction: 'EMAIL' },
    { associations: [{ objectType: 'contacts', id: contacts[2]!.id }] },
  );
  world.sim.admin.updateRecord(PORTAL, 'calls', calls[1]!.id, { hs_timestamp: '2026-10-29T08:00:00.000Z' });
  world.sim.admin.removeAssociation(
    PORTAL,
    { objectType: 'emails', id: emails[2]!.id },
    {
      objectType: 'contacts',
      id: world.sim.groundTruth(PORTAL).associations.emailContacts.find((p) => p.emailId === emails[2]!.id)!
        .contactId,
    },
  );
  world.sim.admin.archiveRecord(PORTAL, 'emails', emails[3]!.id);
  expect((await differences()).length).toBeGreaterThan(0);
  // Search lags writes by a moment; the catch-up reads past that.
  await new Promise((r) => setTimeout(r, 250));
  const result = await runCatchup(deps(), PORTAL, { overlapMs: 0 });
  expect(result.found.emails).toBeGreaterThan(0);
  expect(result.found.calls).toBeGreaterThan(0);
  expect(await differences()).toEqual([]);
});
