import { createHash } from 'node:crypto';
import { HUBSPOT_PATHS, propertiesSchema, propertyGroupsSchema } from '../hubspot';
import type { HubSpotClient, PropertyDefinition, RateBudgetKind } from '../hubspot';
import { NO_TOUCH_CHANNEL } from '../kpi';
import type { WritebackObjectType } from './writeback.tables';

/**
 * The `kpibridge_*` properties: app-manifest.json declares them (the channel taxonomy's options
 * and one credit property per taxonomy channel); a portal whose KPIs hold a channel outside the
 * taxonomy gets that channel as an option of every channel enumeration and a credit property of
 * its own. `ensureProperties` brings HubSpot in line: creates what is missing (an admin may have
 * deleted it), patches what differs, never removes an option (records may hold it).
 */
export type PropertyOption = { label: string; value: string; displayOrder: number };
export type WritebackPropertyDefinition = {
  objectType: WritebackObjectType;
  name: string;
  label: string;
  description: string;
  type: string;
  fieldType: string;
  groupName: string;
  displayOrder: number;
  numberDisplayHint?: string | undefined;
  showCurrencySymbol?: boolean | undefined;
  options?: readonly PropertyOption[] | undefined;
};
export type WritebackPropertyGroup = {
  objectType: WritebackObjectType;
  name: string;
  label: string;
  displayOrder: number;
};

export const PROPERTY_PREFIX = 'kpibridge_';
export const CREDIT_PREFIX = `${PROPERTY_PREFIX}credit_`;
export const CHANNEL_PREFIX = `${PROPERTY_PREFIX}attributed_source_`;
export const UPDATED_AT_PROPERTY = `${PROPERTY_PREFIX}kpis_updated_at`;
// HubSpot's limit on internal property names is generous; short names keep reports readable.
const MAX_SLUG = 40;

function slugOf(channel: string): string {
  return channel
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function hashOf(channel: string): string {
  return createHash('sha1').update(channel).digest('hex').slice(0, 8);
}

/**
 * The credit property of a channel: `kpibridge_credit_<slug>` (ORGANIC_SEARCH → organic_search,
 * "(no touch)" → no_touch). A slug that is empty, too long or taken by another known channel gets
 * a hash of the channel, so two channels never share a property.
 */
export function creditPropertyName(channel: string, taken: ReadonlyMap<string, string> = new Map()): string {
  const slug = slugOf(channel);
  const owner = taken.get(slug);
  if (slug.length === 0 || slug.length > MAX_SLUG || (owner !== undefined && owner !== channel)) {
    return `${CREDIT_PREFIX}${slug.slice(0, MAX_SLUG - 9)}${slug ? '_' : ''}${hashOf(channel)}`;
  }
  return `${CREDIT_PREFIX}${slug}`;
}

export type PropertySet = {
  readonly definitions: readonly WritebackPropertyDefinition[];
  readonly groups: readonly WritebackPropertyGroup[];
  /** channel → its credit property on deals. */
  readonly creditProperty: ReadonlyMap<string, string>;
  /** Every value an enumeration accepts (the same for all channel enumerations). */
  readonly channelValues: ReadonlySet<string>;
  /** Models that have a channel property. */
  readonly channelModels: ReadonlySet<string>;
};

/** The manifest's definitions, extended by the portal's channels outside the taxonomy. */
export function buildPropertySet(
  base: readonly WritebackPropertyDefinition[],
  groups: readonly WritebackPropertyGroup[],
  channels: Iterable<string>,
): PropertySet {
  const enumTemplate = base.find((p) => p.type === 'enumeration');
  const taxonomy = enumTemplate?.options ?? [];
  const known = new Set(taxonomy.map((o) => o.value));
  const slugOwners = new Map(taxonomy.map((o) => [slugOf(o.value), o.value]));
  const extra = [...new Set(channels)].filter((c) => c.length > 0 && !known.has(c)).sort();
  const extraOptions: PropertyOption[] = extra.map((c, i) => ({
    label: c,
    value: c,
    displayOrder: taxonomy.length + i,
  }));

  const creditProperty = new Map<string, string>();
  for (const o of taxonomy) creditProperty.set(o.value, creditPropertyName(o.value, slugOwners));
  const definitions: WritebackPropertyDefinition[] = base.map((p) =>
    p.type === 'enumeration' ? { ...p, options: [...(p.options ?? []), ...extraOptions] } : p,
  );
  const creditTemplate = base.find((p) => p.objectType === 'deals' && p.name.startsWith(CREDIT_PREFIX));
  if (creditTemplate) {
    let order = Math.max(...base.filter((p) => p.objectType === 'deals').map((p) => p.displayOrder)) + 1;
    for (const channel of extra) {
      const name = creditPropertyName(channel, slugOwners);
      creditProperty.set(channel, name);
      definitions.push({
        ...creditTemplate,
        name,
        label: `KPI Bridge credit: ${channel}`.slice(0, 200),
        description: creditTemplate.description.replace(/credited to .*? by /, `credited to ${channel} by `),
        displayOrder: order++,
      });
    }
  }
  return {
    definitions,
    groups,
    creditProperty,
    channelValues: new Set([...known, ...extra, NO_TOUCH_CHANNEL]),
    channelModels: new Set(
      base.filter((p) => p.name.startsWith(CHANNEL_PREFIX)).map((p) => p.name.slice(CHANNEL_PREFIX.length)),
    ),
  };
}

/** What differs between HubSpot's definition and ours (empty: nothing to patch). */
function differences(current: PropertyDefinition, wanted: WritebackPropertyDefinition): string[] {
  const diffs: string[] = [];
  for (const key of ['label', 'description', 'type', 'fieldType', 'groupName'] as const) {
    if ((current[key] ?? '') !== wanted[key]) diffs.push(key);
  }
  if (wanted.numberDisplayHint !== undefined && current.numberDisplayHint !== wanted.numberDisplayHint)
    diffs.push('numberDisplayHint');
  const have = new Set(current.options.map((o) => o.value));
  if ((wanted.options ?? []).some((o) => !have.has(o.value))) diffs.push('options');
  return diffs;
}

function definitionBody(p: WritebackPropertyDefinition): Record<string, unknown> {
  const { objectType: _objectType, options, ...rest } = p;
  return {
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    ...(options ? { options: [...options] } : {}),
    formField: false,
  };
}

export type EnsureResult = { groupsCreated: number; created: string[]; patched: string[]; calls: number };

/**
 * Brings the portal's `kpi_bridge` groups and properties in line with `set`: 2 reads per object
 * type, then one call per property to create or patch. Options HubSpot has and we do not list are
 * kept (a patch sends the union), so values already on records stay valid.
 */
export async function ensureProperties(
  client: HubSpotClient,
  set: PropertySet,
  objectTypes: readonly WritebackObjectType[],
  signal?: AbortSignal,
  /**
   * The budget the calls spend: the write-back passes `background`, as its batches do. As
   * foreground calls, its own checks made the budget keep the sync's reserve free for a whole
   * window, and the calls held back then stayed a window late to the end of the run (8 s of
   * 116 s at 1,200 calls).
   */
  kind: RateBudgetKind = 'standard',
): Promise<EnsureResult> {
  const result: EnsureResult = { groupsCreated: 0, created: [], patched: [], calls: 0 };
  for (const objectType of objectTypes) {
    const groups = await client.request(
      { method: 'GET', path: HUBSPOT_PATHS.propertyGroups(objectType), signal, kind },
      propertyGroupsSchema,
    );
    result.calls++;
    const haveGroups = new Set(groups.results.filter((g) => !g.archived).map((g) => g.name));
    for (const group of set.groups.filter((g) => g.objectType === objectType)) {
      if (haveGroups.has(group.name)) continue;
      const { objectType: _objectType, ...body } = group;
      await client.request(
        { method: 'POST', path: HUBSPOT_PATHS.propertyGroups(objectType), body, signal, kind },
        propertyGroupsSchema.shape.results.element,
      );
      result.calls++;
      result.groupsCreated++;
    }
    const existing = await client.request(
      { method: 'GET', path: HUBSPOT_PATHS.properties(objectType), signal, kind },
      propertiesSchema,
    );
    result.calls++;
    const byName = new Map(existing.results.filter((p) => !p.archived).map((p) => [p.name, p]));
    for (const wanted of set.definitions.filter((p) => p.objectType === objectType)) {
      const current = byName.get(wanted.name);
      if (!current) {
        // A POST of an archived (admin-deleted) name restores it with this definition.
        await client.request(
          {
            method: 'POST',
            path: HUBSPOT_PATHS.properties(objectType),
            body: { name: wanted.name, ...definitionBody(wanted) },
            signal,
            kind,
          },
          propertiesSchema.shape.results.element,
        );
        result.calls++;
        result.created.push(`${objectType}.${wanted.name}`);
        continue;
      }
      if (differences(current, wanted).length === 0) continue;
      const wantedValues = new Set((wanted.options ?? []).map((o) => o.value));
      const kept = current.options
        .filter((o) => !wantedValues.has(o.value))
        .map((o, i) => ({ label: o.label, value: o.value, displayOrder: (wanted.options?.length ?? 0) + i }));
      const { name: _name, ...body } = definitionBody(wanted);
      await client.request(
        {
          method: 'PATCH',
          path: HUBSPOT_PATHS.property(objectType, wanted.name),
          body: wanted.options ? { ...body, options: [...wanted.options, ...kept] } : body,
          signal,
          kind,
        },
        propertiesSchema.shape.results.element,
      );
      result.calls++;
      result.patched.push(`${objectType}.${wanted.name}`);
    }
  }
  return result;
}
