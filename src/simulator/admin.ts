import { findStage, type ObjectTypeName } from './catalog';
import { requirePortal, type SimulatorContext } from './context';
import type { PortalFaults } from './faults';
import { collectGroundTruth, type GroundTruth, type GroundTruthOptions } from './ground-truth';
import {
  archiveRecord,
  changeAssociation,
  createRecord,
  gdprDeleteContact,
  mergeRecords,
  MutationError,
  restoreRecord,
  updateRecord,
  validateWrite,
  type WriteContext,
} from './mutations';
import type { TokenResponse } from './oauth';
import type { Portal } from './portal';
import type { SimRecord } from './records';
import { renderObject, selectProperties, type PublicObject } from './serialize';
import type { DeliveryRecord, WebhookOptions, WebhookStats } from './webhooks';

/**
 * The simulator's control surface, as functions (the handle's `admin`) and,
 * through admin-routes.ts, as HTTP. Writes here act as a HubSpot user in the
 * CRM UI (changeSource CRM_UI), so they may move lifecycle stages backwards
 * and set calculated properties, and they fire webhooks like any change.
 */
export type RecordRef = { objectType: ObjectTypeName; id: number | string };
export type PropertyValues = Readonly<Record<string, string | null>>;
export type ActorOptions = { userId?: number; changeSource?: string };

export type SimulatorAdmin = {
  createRecord: (
    portalId: number,
    objectType: ObjectTypeName,
    properties: PropertyValues,
    options?: ActorOptions & { associations?: RecordRef[] },
  ) => PublicObject;
  updateRecord: (
    portalId: number,
    objectType: ObjectTypeName,
    id: number | string,
    properties: PropertyValues,
    options?: ActorOptions,
  ) => PublicObject;
  getRecord: (
    portalId: number,
    objectType: ObjectTypeName,
    id: number | string,
    propertiesWithHistory?: string[],
  ) => PublicObject | null;
  archiveRecord: (
    portalId: number,
    objectType: ObjectTypeName,
    id: number | string,
    options?: ActorOptions,
  ) => void;
  restoreRecord: (
    portalId: number,
    objectType: ObjectTypeName,
    id: number | string,
    options?: ActorOptions,
  ) => void;
  mergeRecords: (
    portalId: number,
    objectType: 'contacts' | 'deals',
    primaryId: number | string,
    mergedId: number | string,
    options?: ActorOptions,
  ) => PublicObject;
  gdprDeleteContact: (portalId: number, id: number | string, options?: ActorOptions) => void;
  addAssociation: (portalId: number, from: RecordRef, to: RecordRef, options?: ActorOptions) => boolean;
  removeAssociation: (portalId: number, from: RecordRef, to: RecordRef, options?: ActorOptions) => boolean;
  /** Moves a deal to a stage as a user dragging it on the board would (the pipeline follows the stage). */
  moveDealStage: (
    portalId: number,
    dealId: number | string,
    stageId: string,
    options?: ActorOptions,
  ) => PublicObject;
  getFaults: (portalId: number) => PortalFaults;
  setFaults: (portalId: number, patch: Partial<PortalFaults>) => PortalFaults;
  resetFaults: (portalId: number) => void;
  /** Tokens of a fresh install, without the browser round trip. */
  issueTokens: (portalId: number, options?: { scopes?: string[]; appId?: number }) => TokenResponse;
  revokeRefreshTokens: (portalId: number) => number;
  expireAccessTokens: (portalId: number) => number;
  uninstall: (portalId: number) => void;
  getWebhookOptions: () => WebhookOptions;
  setWebhookOptions: (patch: Partial<WebhookOptions>) => WebhookOptions;
  getWebhookStats: () => WebhookStats;
  listWebhookDeliveries: () => DeliveryRecord[];
  /** Resolves when no webhook is queued, in flight or waiting for a retry. */
  flushWebhooks: () => Promise<void>;
  groundTruth: (portalId: number, options?: GroundTruthOptions) => GroundTruth;
};

export const DEFAULT_SCOPES = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.deals.read',
  'crm.objects.deals.write',
  'crm.objects.owners.read',
  'crm.schemas.contacts.write',
  'crm.schemas.deals.write',
];

function toId(raw: number | string): number {
  const id = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isSafeInteger(id)) throw new MutationError('validation', `Not an object id: ${String(raw)}`);
  return id;
}

function requireRecord(
  portal: Portal,
  objectType: ObjectTypeName,
  raw: number | string,
  activeOnly = true,
): SimRecord {
  const record = portal.stores[objectType].get(toId(raw));
  if (!record || (activeOnly && !record.isActive))
    throw new MutationError(
      'not_found',
      `No active ${objectType} record ${String(raw)} in portal ${portal.id}`,
    );
  return record;
}

function adminContext(context: SimulatorContext, portal: Portal, options: ActorOptions = {}): WriteContext {
  const userId = options.userId ?? portal.owners.find((o) => !o.archived)?.userId;
  return {
    now: context.now(),
    source: { changeSource: options.changeSource ?? 'CRM_UI', ...(userId !== undefined ? { userId } : {}) },
    privileged: true,
  };
}

function render(
  portal: Portal,
  objectType: ObjectTypeName,
  record: SimRecord,
  extra: string[] = [],
): PublicObject {
  const schema = portal.schemas[objectType];
  return renderObject(
    record,
    selectProperties(
      schema,
      [...schema.defaultPropertyIndexes.map((i) => schema.properties[i]?.name ?? ''), ...extra],
      undefined,
    ),
  );
}

export function createAdmin(context: SimulatorContext): SimulatorAdmin {
  const portalOf = (portalId: number) => requirePortal(context, portalId).portal;
  return {
    createRecord(portalId, objectType, properties, options = {}) {
      const portal = portalOf(portalId);
      const write = adminContext(context, portal, options);
      const record = createRecord(
        portal,
        objectType,
        validateWrite(portal, objectType, null, properties, true),
        write,
      );
      for (const to of options.associations ?? [])
        changeAssociation(
          portal,
          { objectType, id: record.id },
          { objectType: to.objectType, id: toId(to.id) },
          false,
          write,
        );
      return render(portal, objectType, record, Object.keys(properties));
    },
    updateRecord(portalId, objectType, id, properties, options = {}) {
      const portal = portalOf(portalId);
      const record = requireRecord(portal, objectType, id);
      updateRecord(
        portal,
        objectType,
        record,
        validateWrite(portal, objectType, record, properties, true),
        adminContext(context, portal, options),
      );
      return render(portal, objectType, record, Object.keys(properties));
    },
    getRecord(portalId, objectType, id, propertiesWithHistory) {
      const portal = portalOf(portalId);
      const record = portal.stores[objectType].get(toId(id));
      if (!record) return null;
      const schema = portal.schemas[objectType];
      return renderObject(
        record,
        selectProperties(
          schema,
          schema.properties.map((p) => p.name),
          propertiesWithHistory,
        ),
      );
    },
    archiveRecord(portalId, objectType, id, options = {}) {
      const portal = portalOf(portalId);
      archiveRecord(
        portal,
        objectType,
        requireRecord(portal, objectType, id),
        adminContext(context, portal, options),
      );
    },
    restoreRecord(portalId, objectType, id, options = {}) {
      const portal = portalOf(portalId);
      restoreRecord(
        portal,
        objectType,
        requireRecord(portal, objectType, id, false),
        adminContext(context, portal, options),
      );
    },
    mergeRecords(portalId, objectType, primaryId, mergedId, options = {}) {
      const portal = portalOf(portalId);
      const survivor = mergeRecords(
        portal,
        objectType,
        requireRecord(portal, objectType, primaryId),
        requireRecord(portal, objectType, mergedId),
        adminContext(context, portal, options),
      );
      return render(portal, objectType, survivor, ['hs_merged_object_ids']);
    },
    gdprDeleteContact(portalId, id, options = {}) {
      const portal = portalOf(portalId);
      gdprDeleteContact(
        portal,
        requireRecord(portal, 'contacts', id, false),
        adminContext(context, portal, options),
      );
    },
    addAssociation(portalId, from, to, options = {}) {
      const portal = portalOf(portalId);
      return changeAssociation(
        portal,
        { objectType: from.objectType, id: toId(from.id) },
        { objectType: to.objectType, id: toId(to.id) },
        false,
        adminContext(context, portal, options),
      );
    },
    removeAssociation(portalId, from, to, options = {}) {
      const portal = portalOf(portalId);
      return changeAssociation(
        portal,
        { objectType: from.objectType, id: toId(from.id) },
        { objectType: to.objectType, id: toId(to.id) },
        true,
        adminContext(context, portal, options),
      );
    },
    moveDealStage(portalId, dealId, stageId, options = {}) {
      const portal = portalOf(portalId);
      const record = requireRecord(portal, 'deals', dealId);
      const found = findStage(stageId);
      if (!found) throw new MutationError('validation', `Unknown deal stage ${stageId}`);
      const ownerId = record.values[portal.schemas.deals.require('hubspot_owner_id').index];
      const owner = portal.owners.find((o) => o.id === String(ownerId));
      const actor = {
        ...options,
        ...(options.userId === undefined && owner ? { userId: owner.userId } : {}),
      };
      updateRecord(
        portal,
        'deals',
        record,
        validateWrite(portal, 'deals', record, { pipeline: found.pipeline.id, dealstage: stageId }, true),
        adminContext(context, portal, actor),
      );
      return render(portal, 'deals', record, [
        'hs_is_closed',
        'hs_is_closed_won',
        'hs_deal_stage_probability',
      ]);
    },
    getFaults: (portalId) => requirePortal(context, portalId).faults.get(),
    setFaults: (portalId, patch) => requirePortal(context, portalId).faults.set(patch),
    resetFaults: (portalId) => requirePortal(context, portalId).faults.reset(),
    issueTokens(portalId, options = {}) {
      const portal = portalOf(portalId);
      const app =
        options.appId === undefined
          ? context.oauth.apps[0]
          : context.oauth.apps.find((a) => a.appId === options.appId);
      if (!app) throw new MutationError('validation', `Unknown app ${String(options.appId)}`);
      const userId = portal.owners[0]?.userId ?? 1;
      return context.oauth.issue({
        portalId,
        appId: app.appId,
        userId,
        scopes: options.scopes ?? DEFAULT_SCOPES,
      });
    },
    revokeRefreshTokens: (portalId) => context.oauth.revokeRefreshTokens(portalOf(portalId).id),
    expireAccessTokens: (portalId) => context.oauth.expireAccessTokens(portalOf(portalId).id),
    uninstall: (portalId) => context.oauth.uninstall(portalOf(portalId).id),
    getWebhookOptions: () => context.webhooks.getOptions(),
    setWebhookOptions: (patch) => context.webhooks.setOptions(patch),
    getWebhookStats: () => context.webhooks.getStats(),
    listWebhookDeliveries: () => context.webhooks.listDeliveries(),
    flushWebhooks: () => context.webhooks.idle(),
    groundTruth: (portalId, options) => collectGroundTruth(portalOf(portalId), options),
  };
}
