import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { webhookEventSchema } from '../hubspot/schemas';
import type { WebhookEvent } from '../hubspot/schemas';
import type { Database } from '../db';
import type { Producer } from '../platform/queue/producer';
import { addPending } from './pending-objects';
import { enqueueObjectRefresh } from './sync-queue';

/**
 * Webhook intake: validate each event, drop duplicates and events of portals we do not
 * serve, turn the rest into "refresh this record" entries in the portal's pending set,
 * and enqueue one coalesced refresh job per portal. No HubSpot call here, so the answer
 * leaves in milliseconds; the worker reads the records' current state. The event's shape
 * is the adapter's (src/hubspot/schemas.ts), like every HubSpot payload.
 */
/** HubSpot sends ≤ 100 events per request; a little slack, then 413. */
export const MAX_BATCH_EVENTS = 1000;
const DEDUPE_TTL_S = 24 * 3600;

export type IntakeResult = {
  accepted: number;
  duplicates: number;
  ignored: number;
  invalid: number;
  portals: number[];
};

type ObjectKind = 'contact' | 'deal' | 'meeting' | 'call' | 'email';

const OBJECT_TYPE_IDS: Record<string, ObjectKind> = {
  '0-1': 'contact',
  '0-3': 'deal',
  '0-47': 'meeting',
  '0-48': 'call',
  '0-49': 'email',
};
// The names legacy events use: in subscription types (contact.creation) and association types (CONTACT_TO_DEAL).
const LEGACY_NAMES: Record<string, ObjectKind> = {
  contact: 'contact',
  deal: 'deal',
  meeting: 'meeting',
  meeting_event: 'meeting',
  call: 'call',
  email: 'email',
};
const PENDING_KIND: Record<ObjectKind, string> = {
  contact: 'c',
  deal: 'd',
  meeting: 'm',
  call: 'k',
  email: 'e',
};

type Side = { kind: ObjectKind | undefined; id: number | undefined };

/**
 * One event as the sync understands it, whichever format HubSpot sent: the legacy
 * `contact.creation` with `associationType: CONTACT_TO_DEAL`, or the generic
 * `object.creation` with `objectTypeId` (and `fromObjectTypeId`/`toObjectTypeId` on
 * association changes). Checks that need the origin of a change (own writes) read
 * `changeSource`/`sourceId` here.
 */
export type SyncEvent = {
  portalId: number;
  action: string;
  object: ObjectKind | undefined;
  objectId: number | undefined;
  primaryObjectId: number | undefined;
  mergedObjectIds: number[];
  association: { from: Side; to: Side; removed: boolean } | undefined;
  changeSource: string | undefined;
  sourceId: string | undefined;
  /** The raw event, for the dedupe tuple. */
  raw: WebhookEvent;
};

function legacyPair(associationType: string | undefined): [ObjectKind | undefined, ObjectKind | undefined] {
  const m = /^([A-Z_]+?)_TO_([A-Z_]+)$/.exec(associationType ?? '');
  if (!m) return [undefined, undefined];
  return [LEGACY_NAMES[m[1]!.toLowerCase()], LEGACY_NAMES[m[2]!.toLowerCase()]];
}

export function normaliseEvent(e: WebhookEvent): SyncEvent {
  const type = e.subscriptionType ?? e.eventType ?? '';
  const dot = type.indexOf('.');
  const prefix = dot < 0 ? type : type.slice(0, dot);
  const action = dot < 0 ? '' : type.slice(dot + 1);
  const generic = prefix === 'object';
  const object = generic ? OBJECT_TYPE_IDS[e.objectTypeId ?? ''] : LEGACY_NAMES[prefix];
  let association: SyncEvent['association'];
  if (action === 'associationChange') {
    const [legacyFrom, legacyTo] = legacyPair(e.associationType);
    const from = generic || e.fromObjectTypeId ? OBJECT_TYPE_IDS[e.fromObjectTypeId ?? ''] : legacyFrom;
    const to = generic || e.toObjectTypeId ? OBJECT_TYPE_IDS[e.toObjectTypeId ?? ''] : legacyTo;
    association = {
      from: { kind: from ?? legacyFrom, id: e.fromObjectId },
      to: { kind: to ?? legacyTo, id: e.toObjectId },
      removed: e.associationRemoved ?? false,
    };
  }
  return {
    portalId: e.portalId,
    action,
    object,
    objectId: e.objectId,
    primaryObjectId: e.primaryObjectId,
    mergedObjectIds: e.mergedObjectIds ?? [],
    association,
    changeSource: e.changeSource,
    sourceId: e.sourceId,
    raw: e,
  };
}

/** Which records an event asks us to re-read; [] for events we do not act on. */
export function membersOf(event: SyncEvent): string[] {
  const one = (kind: ObjectKind | undefined, v: number | undefined) =>
    kind === undefined || v === undefined ? [] : [`${PENDING_KIND[kind]}:${v}`];
  switch (event.action) {
    case 'creation':
    case 'deletion':
    case 'propertyChange':
    case 'restore':
      return one(event.object, event.objectId);
    case 'privacyDeletion':
      return event.object === 'contact' && event.objectId !== undefined ? [`p:${event.objectId}`] : [];
    case 'merge':
      return [
        ...one(event.object, event.primaryObjectId),
        ...one(event.object, event.objectId),
        ...event.mergedObjectIds.flatMap((m) => one(event.object, m)),
      ];
    case 'associationChange': {
      // The non-contact side (deal, meeting, call, email) owns the association rows: refresh it.
      const a = event.association;
      if (!a) return [];
      if (a.from.kind === 'contact' && a.to.kind !== 'contact') return one(a.to.kind, a.to.id);
      if (a.to.kind === 'contact' && a.from.kind !== 'contact') return one(a.from.kind, a.from.id);
      return [];
    }
    default:
      return [];
  }
}

function dedupeKey(prefix: string, event: SyncEvent): string {
  const e = event.raw;
  // eventId is "not guaranteed unique" (reference §4): the documented tuple instead.
  const tuple = [
    e.portalId,
    e.subscriptionId ?? '',
    e.subscriptionType ?? e.eventType ?? '',
    e.objectTypeId ?? '',
    e.objectId ?? '',
    e.occurredAt ?? '',
    e.propertyName ?? '',
    e.propertyValue ?? '',
    e.fromObjectTypeId ?? '',
    e.fromObjectId ?? '',
    e.toObjectTypeId ?? '',
    e.toObjectId ?? '',
    String(e.associationRemoved ?? ''),
  ].join('|');
  // The portal id as a segment of its own, so a purge finds the portal's marks.
  return `${prefix}:sync:seen:${e.portalId}:${createHash('sha1').update(tuple).digest('hex')}`;
}

export type WebhookIntakeDeps = {
  db: Database;
  redis: Redis;
  producer: Pick<Producer, 'enqueue'>;
  prefix: string;
  logger: Logger;
};

export function createWebhookIntake(deps: WebhookIntakeDeps) {
  const log = deps.logger.child({ name: 'webhooks' });

  async function accept(rawEvents: readonly unknown[]): Promise<IntakeResult> {
    const result: IntakeResult = { accepted: 0, duplicates: 0, ignored: 0, invalid: 0, portals: [] };
    // 1. parse, 2. normalise both formats to one event type, 3. act on the relevant ones.
    const events: SyncEvent[] = [];
    for (const raw of rawEvents) {
      const parsed = webhookEventSchema.safeParse(raw);
      if (parsed.success) events.push(normaliseEvent(parsed.data));
      else result.invalid++;
    }
    if (result.invalid > 0)
      log.warn({ invalid: result.invalid }, 'webhook events that do not parse were skipped');
    if (events.length === 0) return result;

    const portalIds = [...new Set(events.map((e) => e.portalId))];
    const known = await deps.db
      .selectFrom('portals')
      .select('portal_id')
      .where('portal_id', 'in', portalIds)
      .where('status', '=', 'installed')
      .execute();
    const served = new Set(known.map((p) => p.portal_id));

    const relevant = events.filter((e) => served.has(e.portalId) && membersOf(e).length > 0);
    result.ignored = events.length - relevant.length;
    if (relevant.length === 0) return result;

    const pipeline = deps.redis.pipeline();
    for (const e of relevant) pipeline.set(dedupeKey(deps.prefix, e), '1', 'EX', DEDUPE_TTL_S, 'NX');
    const firsts = (await pipeline.exec()) ?? [];
    const byPortal = new Map<number, string[]>();
    relevant.forEach((e, i) => {
      const [error, reply] = firsts[i] ?? [null, null];
      // A Redis error on the dedupe key must not lose the event: treat it as new.
      if (!error && reply !== 'OK') {
        result.duplicates++;
        return;
      }
      result.accepted++;
      const list = byPortal.get(e.portalId) ?? [];
      list.push(...membersOf(e));
      byPortal.set(e.portalId, list);
    });
    for (const [portalId, members] of byPortal) {
      await addPending(deps.redis, deps.prefix, portalId, members);
      await enqueueObjectRefresh(deps.producer, portalId);
    }
    result.portals = [...byPortal.keys()];
    return result;
  }

  return { accept };
}
export type WebhookIntake = ReturnType<typeof createWebhookIntake>;
