import { createHash, createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { findAssociationDirection } from './associations';
import { OBJECT_TYPES, type ObjectTypeName } from './catalog';
import type { SimApp } from './oauth';
import type { ChangeEvent } from './portal';
import { createRandom, type Random } from './random';

/**
 * Webhook delivery as HubSpot does it (reference §4): JSON arrays of ≤ 100
 * events per POST, signed v3 (and v1), at least once, retried on non-2xx or
 * after 5 s, not ordered. Switches make it worse on purpose: drop a share of
 * batches for good, deliver a share twice, shuffle, or pause.
 */
/**
 * An app's subscription, as its webhooks component declares it: a legacy type
 * (`contact.creation`, `contact.privacyDeletion`) or a generic one (`object.creation`
 * with `objectType: "contact"`), whose events carry `objectTypeId` and, on association
 * changes, `fromObjectTypeId`/`toObjectTypeId`/`associationTypeId` instead of
 * `associationType`. Without a list, an app gets every legacy event.
 */
export type WebhookSubscription = { subscriptionType: string; objectType?: string; propertyName?: string };

export type WebhookOptions = {
  paused: boolean;
  /** Share of batches lost for good (the sync's catch-up must find these changes). */
  dropRate: number;
  /** Share of delivered batches sent a second time. */
  duplicateRate: number;
  /** Shuffle events within batches and the order of batches sent together. */
  reorder: boolean;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A delivery slower than this counts as failed and is retried, as HubSpot's 5 s limit. */
  timeoutMs: number;
  /** How long events gather before a batch leaves. */
  batchDelayMs: number;
  maxBatchSize: number;
};

export const DEFAULT_WEBHOOK_OPTIONS: Readonly<WebhookOptions> = Object.freeze({
  paused: false,
  dropRate: 0,
  duplicateRate: 0,
  reorder: false,
  maxAttempts: 10,
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
  timeoutMs: 5000,
  batchDelayMs: 50,
  maxBatchSize: 100,
});

export type WebhookEvent = {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber: number;
  changeSource: string;
  objectId?: number;
  sourceId?: string;
  changeFlag?: string;
  propertyName?: string;
  propertyValue?: string;
  primaryObjectId?: number;
  mergedObjectIds?: number[];
  newObjectId?: number;
  numberOfPropertiesMoved?: number;
  objectTypeId?: string;
  associationType?: string;
  fromObjectTypeId?: string;
  toObjectTypeId?: string;
  associationTypeId?: number;
  associationCategory?: string;
  fromObjectId?: number;
  toObjectId?: number;
  associationRemoved?: boolean;
  isPrimaryAssociation?: boolean;
};

export type DeliveryRecord = {
  time: number;
  appId: number;
  portalId: number;
  url: string;
  attemptNumber: number;
  events: number;
  status: number | 'timeout' | 'network-error';
  duplicate: boolean;
};

export type WebhookStats = {
  queued: number;
  inFlight: number;
  scheduled: number;
  deliveredBatches: number;
  deliveredEvents: number;
  failedAttempts: number;
  droppedEvents: number;
  duplicatedBatches: number;
  abandonedEvents: number;
};

type Batch = { app: SimApp; portalId: number; events: WebhookEvent[]; attempt: number; duplicate: boolean };
type Queue = { app: SimApp; portalId: number; events: WebhookEvent[]; timer: NodeJS.Timeout | null };

/** Signature v3: base64 HMAC-SHA256 with the client secret over method + URL + body + timestamp. */
export function signV3(secret: string, method: string, url: string, body: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${method}${url}${body}${timestamp}`, 'utf8').digest('base64');
}

export class WebhookDispatcher {
  private options: WebhookOptions;
  private readonly queues = new Map<string, Queue>();
  private readonly targets = new Map<number, string>();
  private readonly subscriptionIds = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controllers = new Set<AbortController>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly random: Random;
  private readonly deliveries: DeliveryRecord[] = [];
  private nextEventId: number;
  private inFlight = 0;
  private closed = false;
  private readonly stats = {
    deliveredBatches: 0,
    deliveredEvents: 0,
    failedAttempts: 0,
    droppedEvents: 0,
    duplicatedBatches: 0,
    abandonedEvents: 0,
  };

  constructor(
    private readonly apps: readonly SimApp[],
    private readonly subscriptions: ReadonlyMap<number, readonly WebhookSubscription[] | undefined>,
    seed: string,
    private readonly now: () => number,
    private readonly logger: Logger,
    options: Partial<WebhookOptions> = {},
  ) {
    this.options = { ...DEFAULT_WEBHOOK_OPTIONS, ...options };
    this.random = createRandom(`${seed}/webhooks`);
    this.nextEventId = 1_000_000 + Math.floor(this.random.next() * 1_000_000);
    for (const app of apps) if (app.webhookTargetUrl) this.targets.set(app.appId, app.webhookTargetUrl);
  }

  setTarget(url: string | null, appId?: number): void {
    for (const app of this.apps) {
      if (appId !== undefined && app.appId !== appId) continue;
      if (url === null) this.targets.delete(app.appId);
      else this.targets.set(app.appId, new URL(url).toString());
    }
  }

  target(appId: number): string | undefined {
    return this.targets.get(appId);
  }

  getOptions(): WebhookOptions {
    return { ...this.options };
  }

  setOptions(patch: Partial<WebhookOptions>): WebhookOptions {
    const wasPaused = this.options.paused;
    this.options = { ...this.options, ...patch };
    if (wasPaused && !this.options.paused)
      for (const queue of this.queues.values()) this.scheduleFlush(queue);
    this.notifyIfIdle();
    return this.getOptions();
  }

  getStats(): WebhookStats {
    let queued = 0;
    for (const q of this.queues.values()) queued += q.events.length;
    return { queued, inFlight: this.inFlight, scheduled: this.timers.size, ...this.stats };
  }

  listDeliveries(): DeliveryRecord[] {
    return [...this.deliveries];
  }

  /** Turns portal changes into events for every app with a target URL and a matching subscription. */
  enqueue(portalId: number, changes: readonly ChangeEvent[]): void {
    if (this.closed) return;
    for (const app of this.apps) {
      if (!this.targets.has(app.appId)) continue;
      const key = `${app.appId}:${portalId}`;
      let queue = this.queues.get(key);
      for (const change of changes) {
        const event = this.toEvent(app, portalId, change);
        if (!event) continue;
        if (!queue) {
          queue = { app, portalId, events: [], timer: null };
          this.queues.set(key, queue);
        }
        queue.events.push(event);
      }
      if (queue) this.scheduleFlush(queue);
    }
  }

  /** The subscription a change matches, and whether it is a generic (`object.*`) one; null when none. */
  private subscriptionOf(app: SimApp, change: ChangeEvent): { id: number; generic: boolean } | null {
    const info = OBJECT_TYPES[change.objectType];
    const propertyName = change.kind === 'propertyChange' ? change.propertyName : undefined;
    const subscriptions = this.subscriptions.get(app.appId);
    if (subscriptions) {
      const index = subscriptions.findIndex(
        (s) =>
          (s.subscriptionType === `${info.webhookPrefix}.${change.kind}` ||
            (s.subscriptionType === `object.${change.kind}` && s.objectType === info.singular)) &&
          (s.propertyName === undefined || s.propertyName === propertyName),
      );
      if (index < 0) return null;
      return {
        id: app.appId * 100 + index,
        generic: subscriptions[index]!.subscriptionType.startsWith('object.'),
      };
    }
    if (!info.webhookPrefix) return null;
    const key = `${app.appId}|${info.webhookPrefix}.${change.kind}|${propertyName ?? ''}`;
    let id = this.subscriptionIds.get(key);
    if (id === undefined) {
      id = 500_000 + this.subscriptionIds.size;
      this.subscriptionIds.set(key, id);
    }
    return { id, generic: false };
  }

  private toEvent(app: SimApp, portalId: number, change: ChangeEvent): WebhookEvent | null {
    const info = OBJECT_TYPES[change.objectType];
    const subscription = this.subscriptionOf(app, change);
    if (subscription === null) return null;
    const generic = subscription.generic;
    const event: WebhookEvent = {
      eventId: this.nextEventId++,
      subscriptionId: subscription.id,
      portalId,
      appId: app.appId,
      occurredAt: change.occurredAt,
      subscriptionType: generic ? `object.${change.kind}` : `${info.webhookPrefix}.${change.kind}`,
      attemptNumber: 0,
      changeSource: change.changeSource,
    };
    if (generic) event.objectTypeId = info.objectTypeId;
    if (change.sourceId !== undefined) event.sourceId = change.sourceId;
    switch (change.kind) {
      case 'creation':
        return { ...event, objectId: change.objectId, changeFlag: 'CREATED' };
      case 'deletion':
        return { ...event, objectId: change.objectId, changeFlag: 'DELETED' };
      case 'restore':
      case 'privacyDeletion':
        return { ...event, objectId: change.objectId };
      case 'propertyChange':
        return {
          ...event,
          objectId: change.objectId,
          propertyName: change.propertyName,
          propertyValue: change.propertyValue,
        };
      case 'merge':
        return {
          ...event,
          objectId: change.objectId,
          primaryObjectId: change.primaryObjectId,
          mergedObjectIds: change.mergedObjectIds,
          newObjectId: change.newObjectId,
          numberOfPropertiesMoved: change.numberOfPropertiesMoved,
        };
      case 'associationChange': {
        if (generic) {
          // The generic format names the sides by type id and the association by its type id.
          const to = objectTypeOfAssociation(change.associationType, change.objectType);
          const direction = to ? findAssociationDirection(change.objectType, to) : undefined;
          const { objectTypeId: _objectTypeId, ...rest } = event;
          return {
            ...rest,
            fromObjectTypeId: info.objectTypeId,
            ...(to ? { toObjectTypeId: OBJECT_TYPES[to].objectTypeId } : {}),
            ...(direction ? { associationTypeId: direction.typeId } : {}),
            associationCategory: 'HUBSPOT_DEFINED',
            fromObjectId: change.fromObjectId,
            toObjectId: change.toObjectId,
            associationRemoved: change.associationRemoved,
            isPrimaryAssociation: false,
          };
        }
        return {
          ...event,
          associationType: change.associationType,
          fromObjectId: change.fromObjectId,
          toObjectId: change.toObjectId,
          associationRemoved: change.associationRemoved,
          isPrimaryAssociation: false,
        };
      }
    }
  }

  private scheduleFlush(queue: Queue): void {
    if (queue.timer || this.options.paused || queue.events.length === 0 || this.closed) return;
    const delay = queue.events.length >= this.options.maxBatchSize ? 0 : this.options.batchDelayMs;
    queue.timer = this.later(delay, () => {
      queue.timer = null;
      this.flushQueue(queue);
    });
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
      this.notifyIfIdle();
    }, ms);
    timer.unref();
    this.timers.add(timer);
    return timer;
  }

  private flushQueue(queue: Queue): void {
    if (this.options.paused || this.closed) return;
    const batches: WebhookEvent[][] = [];
    const events = queue.events.splice(0);
    // Privacy deletions travel in batches of their own, as HubSpot sends them apart from the deletion that follows.
    let current: WebhookEvent[] = [];
    let currentIsPrivacy = false;
    for (const event of events) {
      const isPrivacy = event.subscriptionType.endsWith('.privacyDeletion');
      if (
        current.length > 0 &&
        (current.length >= this.options.maxBatchSize || isPrivacy !== currentIsPrivacy)
      ) {
        batches.push(current);
        current = [];
      }
      currentIsPrivacy = isPrivacy;
      current.push(event);
    }
    if (current.length > 0) batches.push(current);
    if (this.options.reorder) {
      this.random.shuffle(batches);
      for (const batch of batches) this.random.shuffle(batch);
    }
    for (const batchEvents of batches) {
      if (this.random.next() < this.options.dropRate) {
        this.stats.droppedEvents += batchEvents.length;
        continue;
      }
      const batch: Batch = {
        app: queue.app,
        portalId: queue.portalId,
        events: batchEvents,
        attempt: 0,
        duplicate: false,
      };
      if (this.options.reorder)
        this.later(
          Math.floor(this.random.next() * this.options.batchDelayMs * 4),
          () => void this.send(batch),
        );
      else void this.send(batch);
    }
  }

  private async send(batch: Batch): Promise<void> {
    const url = this.targets.get(batch.app.appId);
    if (!url || this.closed) return;
    const body = JSON.stringify(batch.events.map((e) => ({ ...e, attemptNumber: batch.attempt })));
    const timestamp = String(this.now());
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), this.options.timeoutMs);
    this.controllers.add(controller);
    this.inFlight++;
    let status: DeliveryRecord['status'];
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hubspot-signature-v3': signV3(batch.app.clientSecret, 'POST', url, body, timestamp),
          'x-hubspot-request-timestamp': timestamp,
          'x-hubspot-signature': createHash('sha256')
            .update(batch.app.clientSecret + body, 'utf8')
            .digest('hex'),
          'x-hubspot-signature-version': 'v1',
          'user-agent':
            'HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nio-http-client) - WebhooksExecutorDaemon-executor',
        },
        body,
        signal: controller.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      status = response.status;
    } catch (error) {
      status = controller.signal.aborted ? 'timeout' : 'network-error';
      if (!this.closed) this.logger.debug({ err: error, url }, 'webhook delivery failed');
    } finally {
      clearTimeout(timeout);
      this.controllers.delete(controller);
      this.inFlight--;
    }
    this.record({
      time: this.now(),
      appId: batch.app.appId,
      portalId: batch.portalId,
      url,
      attemptNumber: batch.attempt,
      events: batch.events.length,
      status,
      duplicate: batch.duplicate,
    });
    if (this.closed) return;
    const ok = typeof status === 'number' && status >= 200 && status < 300;
    if (ok) {
      this.stats.deliveredBatches++;
      this.stats.deliveredEvents += batch.events.length;
      if (!batch.duplicate && this.random.next() < this.options.duplicateRate) {
        this.stats.duplicatedBatches++;
        const copy: Batch = { ...batch, duplicate: true };
        this.later(
          Math.floor(this.random.next() * this.options.batchDelayMs * 2),
          () => void this.send(copy),
        );
      }
    } else {
      this.stats.failedAttempts++;
      if (batch.attempt + 1 < this.options.maxAttempts) {
        const delay =
          Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** batch.attempt) *
          (0.75 + 0.5 * this.random.next());
        const retry: Batch = { ...batch, attempt: batch.attempt + 1 };
        this.later(Math.floor(delay), () => void this.send(retry));
      } else {
        this.stats.abandonedEvents += batch.events.length;
        this.logger.warn(
          { appId: batch.app.appId, portalId: batch.portalId, events: batch.events.length },
          'webhook batch abandoned after the last attempt',
        );
      }
    }
    this.notifyIfIdle();
  }

  private record(delivery: DeliveryRecord): void {
    this.deliveries.push(delivery);
    if (this.deliveries.length > 2000) this.deliveries.splice(0, this.deliveries.length - 1000);
  }

  private isIdle(): boolean {
    if (this.inFlight > 0 || this.timers.size > 0) return false;
    if (this.options.paused) return true;
    for (const q of this.queues.values()) if (q.events.length > 0) return false;
    return true;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry (paused queues count as idle). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.controllers) controller.abort();
    for (const queue of this.queues.values()) queue.timer = null;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

const LEGACY_SIDES: Record<string, ObjectTypeName> = {
  CONTACT: 'contacts',
  DEAL: 'deals',
  MEETING_EVENT: 'meetings',
  CALL: 'calls',
  EMAIL: 'emails',
};

/** The `to` side of an association change, read from its legacy type (`CONTACT_TO_DEAL` → deals). */
function objectTypeOfAssociation(associationType: string, from: ObjectTypeName): ObjectTypeName | undefined {
  const to = LEGACY_SIDES[associationType.slice(associationType.indexOf('_TO_') + 4)];
  return to ?? (from === 'contacts' ? undefined : 'contacts');
}
