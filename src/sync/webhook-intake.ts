import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { webhookEventSchema } from '../hubspot/schemas';
import type { WebhookEvent } from '../hubspot/schemas';
import type { Database } from '../db';
import type { Producer } from '../platform/queue/producer';
import { isOwnWriteEvent } from './own-writes';
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

const OBJECT_TYPE_IDS: Record<string, 'contact' | 'deal' | 'meeting' | 'call' | 'email'> = {
  '0-1': 'contact',
  '0-3': 'deal',
  '0-47': 'meeting',
  '0-48': 'call',
  '0-49': 'email',
};
const PENDING_KIND: Record<string, string> = { contact: 'c', deal: 'd', meeting: 'm', call: 'k', email: 'e' };

/** Which records an event asks us to re-read; [] for events we do not act on. */
export function membersOf(event: WebhookEvent): string[] {
  const type = event.subscriptionType ?? event.eventType ?? '';
  const [rawObject, action] = type.split('.');
  const object = rawObject === 'object' ? OBJECT_TYPE_IDS[event.objectTypeId ?? ''] : rawObject;
  const kind = object === undefined ? null : (PENDING_KIND[object] ?? null);
  if (!kind || !action) return [];
  const one = (k: string, v: number | undefined) => (v === undefined ? [] : [`${k}:${v}`]);
  switch (action) {
    case 'creation':
    case 'deletion':
    case 'propertyChange':
    case 'restore':
      return one(kind, event.objectId);
    case 'privacyDeletion':
      return kind === 'c' ? one('p', event.objectId) : [];
    case 'merge':
      return [
        ...one(kind, event.primaryObjectId),
        ...one(kind, event.objectId),
        ...(event.mergedObjectIds ?? []).flatMap((m) => one(kind, m)),
      ];
    case 'associationChange': {
      // The deal or meeting side owns the association rows; refresh that side.
      const assoc = event.associationType ?? '';
      if (/^CONTACT_TO_DEAL/.test(assoc)) return one('d', event.toObjectId);
      if (/^DEAL_TO_CONTACT/.test(assoc)) return one('d', event.fromObjectId);
      if (/^CONTACT_TO_MEETING/.test(assoc)) return one('m', event.toObjectId);
      if (/^MEETING_EVENT_TO_CONTACT|^MEETING_TO_CONTACT/.test(assoc)) return one('m', event.fromObjectId);
      if (/^CONTACT_TO_CALL/.test(assoc)) return one('k', event.toObjectId);
      if (/^CALL_TO_CONTACT/.test(assoc)) return one('k', event.fromObjectId);
      if (/^CONTACT_TO_EMAIL/.test(assoc)) return one('e', event.toObjectId);
      if (/^EMAIL_TO_CONTACT/.test(assoc)) return one('e', event.fromObjectId);
      return [];
    }
    default:
      return [];
  }
}

function dedupeKey(prefix: string, e: WebhookEvent): string {
  // eventId is "not guaranteed unique" (reference §4): the documented tuple instead.
  const tuple = [
    e.portalId,
    e.subscriptionId ?? '',
    e.subscriptionType ?? e.eventType ?? '',
    e.objectId ?? '',
    e.occurredAt ?? '',
    e.propertyName ?? '',
    e.propertyValue ?? '',
    e.fromObjectId ?? '',
    e.toObjectId ?? '',
    String(e.associationRemoved ?? ''),
  ].join('|');
  return `${prefix}:sync:seen:${createHash('sha1').update(tuple).digest('hex')}`;
}

export type WebhookIntakeDeps = {
  db: Database;
  redis: Redis;
  producer: Pick<Producer, 'enqueue'>;
  prefix: string;
  logger: Logger;
  /** Our app id: events caused by our own write-back carry it as sourceId and are dropped. */
  appId?: number;
};

export function createWebhookIntake(deps: WebhookIntakeDeps) {
  const log = deps.logger.child({ name: 'webhooks' });

  async function accept(rawEvents: readonly unknown[]): Promise<IntakeResult> {
    const result: IntakeResult = { accepted: 0, duplicates: 0, ignored: 0, invalid: 0, portals: [] };
    const events: WebhookEvent[] = [];
    for (const raw of rawEvents) {
      const parsed = webhookEventSchema.safeParse(raw);
      if (parsed.success) events.push(parsed.data);
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

    const relevant = events.filter(
      (e) => served.has(e.portalId) && membersOf(e).length > 0 && !isOwnWriteEvent(e, deps.appId),
    );
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
