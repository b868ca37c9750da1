import { Router, type Request } from 'express';
import { z } from 'zod';
import { resolveObjectType, type ObjectTypeName } from './catalog';
import type { SimulatorContext } from './context';
import { createErrorBody, notFoundError, SimHttpError, validationError } from './errors';
import { apiLocals, guardApi, listParam, parseBody, singleParam } from './http-support';
import {
  archiveRecord,
  changeAssociation,
  createRecord,
  describePropertyErrors,
  mergeRecords,
  MutationError,
  updateRecord,
  validateWrite,
  type WriteContext,
} from './mutations';
import type { Portal } from './portal';
import type { SimRecord } from './records';
import { findMatches, SEARCH_LIMITS, SEARCH_OPERATORS, type SearchQuery } from './search';
import { renderObject, selectProperties, type AssociationsField, type PublicObject } from './serialize';
import { PATHS } from './endpoints';
import { findAssociationDirection } from './associations';
import { validationRuleError } from './validation-rules';

/**
 * The CRM objects API at /crm/objects/2026-09/{objectType}: list, read, batch
 * read, batch update, search, merge, and the single-record writes, with
 * HubSpot's caps and error shapes.
 */
export const LIST_LIMITS = { defaultLimit: 10, maxLimit: 100, maxLimitWithHistory: 50 } as const;
export const BATCH_LIMITS = { maxInputs: 100 } as const;

const propertyValue = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .transform((v) => (v === null ? null : String(v)));
const propertiesInput = z.record(z.string(), propertyValue);
const objectId = z.union([z.string().min(1), z.number()]).transform(String);

const batchReadBody = z.object({
  inputs: z
    .array(z.object({ id: objectId }))
    .max(BATCH_LIMITS.maxInputs, `Too many inputs: at most ${BATCH_LIMITS.maxInputs} are allowed`),
  properties: z.array(z.string()).optional(),
  propertiesWithHistory: z.array(z.string()).optional(),
  idProperty: z.string().optional(),
});

const batchUpdateBody = z.object({
  inputs: z
    .array(
      z.object({
        id: objectId,
        properties: propertiesInput,
        idProperty: z.string().optional(),
        objectWriteTraceId: z.string().optional(),
      }),
    )
    .min(1, 'inputs must not be empty')
    .max(BATCH_LIMITS.maxInputs, `Too many inputs: at most ${BATCH_LIMITS.maxInputs} are allowed`),
});

const filterValue = z.union([z.string(), z.number(), z.boolean()]);
const searchBody = z.object({
  filterGroups: z
    .array(
      z.object({
        filters: z
          .array(
            z.object({
              propertyName: z.string().min(1),
              operator: z.enum(SEARCH_OPERATORS),
              value: filterValue.optional(),
              values: z.array(z.union([z.string(), z.number()])).optional(),
              highValue: z.union([z.string(), z.number()]).optional(),
            }),
          )
          .max(
            SEARCH_LIMITS.maxFiltersPerGroup,
            `A filter group may hold at most ${SEARCH_LIMITS.maxFiltersPerGroup} filters`,
          ),
      }),
    )
    .max(SEARCH_LIMITS.maxGroups, `At most ${SEARCH_LIMITS.maxGroups} filter groups are allowed`)
    .optional(),
  sorts: z
    .array(
      z.union([
        z.string(),
        z.object({
          propertyName: z.string().min(1),
          direction: z.enum(['ASCENDING', 'DESCENDING']).optional(),
        }),
      ]),
    )
    .max(1, 'Only one sort is allowed')
    .optional(),
  query: z.string().max(SEARCH_LIMITS.maxQueryLength).optional(),
  properties: z.array(z.string()).optional(),
  limit: z
    .number()
    .int()
    .min(0)
    .max(SEARCH_LIMITS.maxLimit, `limit must be ≤ ${SEARCH_LIMITS.maxLimit}`)
    .optional(),
  after: z.union([z.string(), z.number()]).optional(),
});

const mergeBody = z.object({ primaryObjectId: objectId, objectIdToMerge: objectId });

const createBody = z.object({
  properties: propertiesInput,
  associations: z
    .array(
      z.object({
        to: z.object({ id: objectId }),
        types: z
          .array(z.object({ associationCategory: z.string(), associationTypeId: z.number().int() }))
          .min(1),
      }),
    )
    .optional(),
});

const patchBody = z.object({ properties: propertiesInput });

export function objectTypeParam(req: Request, name = 'objectType'): ObjectTypeName {
  const raw = String(req.params[name] ?? '');
  const type = resolveObjectType(raw);
  if (!type) throw validationError(`Unable to infer object type from: ${raw}`);
  return type;
}

function parseId(raw: string): number {
  return /^\d+$/.test(raw) ? Number(raw) : NaN;
}

function apiWriteContext(context: SimulatorContext, appId: number): WriteContext {
  return {
    now: context.now(),
    source: { changeSource: 'INTEGRATION', sourceId: String(appId) },
    privileged: false,
  };
}

function mutationFailure(error: unknown): never {
  if (error instanceof MutationError) {
    if (error.kind === 'not_found') throw notFoundError(error.message);
    throw validationError(error.message, {
      errors: error.details.map((d) => ({
        message: d.message,
        code: d.code,
        context: { propertyName: [d.name] },
      })),
    });
  }
  throw error;
}

function nextLink(context: SimulatorContext, req: Request, after: string): string {
  const url = new URL(req.originalUrl, context.baseUrl);
  url.searchParams.set('after', after);
  return url.toString();
}

function associationsOf(
  portal: Portal,
  objectType: ObjectTypeName,
  record: SimRecord,
  requested: string[] | undefined,
): AssociationsField | undefined {
  if (!requested) return undefined;
  const out: AssociationsField = {};
  for (const raw of requested) {
    const toType = resolveObjectType(raw);
    if (!toType) continue;
    const direction = findAssociationDirection(objectType, toType);
    if (!direction) continue;
    const ids = portal.associations
      .read(direction, record.id)
      .filter((id) => portal.stores[toType].get(id)?.isActive);
    if (ids.length === 0) continue;
    const type = `${objectType.slice(0, -1)}_to_${toType.slice(0, -1)}`;
    out[toType] = { results: ids.map((id) => ({ id: String(id), type })) };
  }
  return out;
}

export function createCrmRouter(context: SimulatorContext): Router {
  const router = Router();
  const general = guardApi(context, 'general');

  router.post(PATHS.search, guardApi(context, 'search'), (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    const body = parseBody(searchBody, req.body);
    const totalFilters = (body.filterGroups ?? []).reduce((n, g) => n + g.filters.length, 0);
    if (totalFilters > SEARCH_LIMITS.maxFilters)
      throw validationError(
        `At most ${SEARCH_LIMITS.maxFilters} filters are allowed across all filter groups`,
      );
    const after = body.after === undefined || body.after === '' ? 0 : Number(body.after);
    if (!Number.isInteger(after) || after < 0)
      throw validationError(`after must be a non-negative integer offset`);
    if (after >= SEARCH_LIMITS.maxResults) {
      throw validationError(
        `Paging past ${SEARCH_LIMITS.maxResults} results is not supported: after must be less than ${SEARCH_LIMITS.maxResults}.`,
        {
          subCategory: 'SEARCH_RESULT_LIMIT_EXCEEDED',
        },
      );
    }
    const rawSort = body.sorts?.[0];
    const search: SearchQuery = {
      filterGroups: (body.filterGroups ?? []).filter((g) => g.filters.length > 0),
      sort:
        rawSort === undefined
          ? null
          : typeof rawSort === 'string'
            ? rawSort.startsWith('-')
              ? { propertyName: rawSort.slice(1), direction: 'DESCENDING' }
              : { propertyName: rawSort, direction: 'ASCENDING' }
            : { propertyName: rawSort.propertyName, direction: rawSort.direction ?? 'ASCENDING' },
      query: body.query ?? null,
    };
    const portal = runtime.portal;
    const matches = findMatches(portal, objectType, search, context.now());
    const limit = body.limit ?? LIST_LIMITS.defaultLimit;
    const end = Math.min(after + limit, SEARCH_LIMITS.maxResults, matches.length);
    const selection = selectProperties(portal.schemas[objectType], body.properties, undefined);
    const results = matches.slice(after, end).map((r) => {
      const object = renderObject(r, selection);
      delete object.archivedAt;
      return object;
    });
    res.json({
      total: matches.length,
      results,
      ...(after + limit < matches.length ? { paging: { next: { after: String(after + limit) } } } : {}),
    });
  });

  router.post(PATHS.batchRead, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    const body = parseBody(batchReadBody, req.body);
    const archived = singleParam(req.query.archived) === 'true';
    if (body.idProperty && body.idProperty !== 'hs_object_id')
      throw validationError(`The simulator reads by id only; idProperty ${body.idProperty} is not supported`);
    const portal = runtime.portal;
    const selection = selectProperties(
      portal.schemas[objectType],
      body.properties,
      body.propertiesWithHistory,
    );
    const startedAt = new Date(context.now()).toISOString();
    const results: PublicObject[] = [];
    const missing: string[] = [];
    const seen = new Set<number>();
    for (const input of body.inputs) {
      const record = portal.stores[objectType].resolve(parseId(input.id));
      const visible = record && (archived ? record.archivedAt !== 0 : record.archivedAt === 0);
      if (!record || !visible) {
        missing.push(input.id);
        continue;
      }
      if (seen.has(record.id)) continue;
      seen.add(record.id);
      results.push(renderObject(record, selection));
    }
    const response = {
      status: 'COMPLETE',
      results,
      startedAt,
      completedAt: new Date(context.now()).toISOString(),
    };
    if (missing.length === 0) {
      res.json(response);
      return;
    }
    res.status(207).json({
      ...response,
      numErrors: 1,
      errors: [
        {
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          message: `Could not get some ${objectType.slice(0, -1).toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`,
          context: { ids: missing },
          errors: [],
          links: {},
        },
      ],
    });
  });

  router.post(PATHS.batchUpdate, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime, appId } = apiLocals(res);
    const body = parseBody(batchUpdateBody, req.body);
    const portal = runtime.portal;
    const write = apiWriteContext(context, appId);
    const selection = selectProperties(portal.schemas[objectType], undefined, undefined);
    const startedAt = new Date(write.now).toISOString();
    const refusedWhole = runtime.faults.get().batchRefusalIds[objectType] ?? [];
    const refusing = body.inputs.find((i) => refusedWhole.includes(Number(i.id)));
    if (refusing)
      throw validationError(
        `Property values were not valid: ${JSON.stringify([{ isValid: false, name: 'kpibridge', message: `record ${refusing.id}` }])}`,
      );
    const results: PublicObject[] = [];
    const errors: object[] = [];
    for (const input of body.inputs) {
      const record = portal.stores[objectType].resolve(parseId(input.id));
      if (!record || !record.isActive) {
        errors.push({
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          message: `Object ${input.id} was not found.`,
          context: { ids: [input.id] },
          errors: [],
          links: {},
        });
        continue;
      }
      const parsed = validateWrite(portal, objectType, record, input.properties, false);
      const ruleError = validationRuleError(runtime.faults.get().validationRuleIds[objectType], record.id);
      if (ruleError) parsed.errors.push(ruleError);
      if (parsed.errors.length > 0) {
        errors.push({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: describePropertyErrors(portal.id, parsed.errors),
          context: { ids: [input.id] },
          errors: parsed.errors.map((e) => ({
            message: e.message,
            code: e.code,
            context: { propertyName: [e.name] },
          })),
          links: {},
        });
        continue;
      }
      updateRecord(portal, objectType, record, parsed, write);
      results.push(
        renderObject(
          record,
          selectProperties(
            portal.schemas[objectType],
            [...selection.properties.map((p) => p.name), ...Object.keys(input.properties)],
            undefined,
          ),
        ),
      );
    }
    const response = {
      status: 'COMPLETE',
      results,
      startedAt,
      completedAt: new Date(context.now()).toISOString(),
    };
    if (errors.length === 0) res.json(response);
    else res.status(207).json({ ...response, numErrors: errors.length, errors });
  });

  router.post(PATHS.merge, general, (req, res) => {
    const objectType = objectTypeParam(req);
    if (objectType !== 'contacts' && objectType !== 'deals')
      throw validationError('Only contacts and deals can be merged.');
    const { runtime, appId } = apiLocals(res);
    const body = parseBody(mergeBody, req.body);
    const store = runtime.portal.stores[objectType];
    const primary = store.resolve(parseId(body.primaryObjectId));
    const merged = store.get(parseId(body.objectIdToMerge));
    if (!primary || !merged)
      throw notFoundError('Object not found', { ids: [body.primaryObjectId, body.objectIdToMerge] });
    try {
      const survivor = mergeRecords(
        runtime.portal,
        objectType,
        primary,
        merged,
        apiWriteContext(context, appId),
      );
      res.json(
        renderObject(survivor, selectProperties(runtime.portal.schemas[objectType], undefined, undefined)),
      );
    } catch (error) {
      mutationFailure(error);
    }
  });

  router.get(PATHS.objects, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    const portal = runtime.portal;
    const historyNames = listParam(req.query.propertiesWithHistory);
    const rawLimit = singleParam(req.query.limit);
    const limit = rawLimit === undefined ? LIST_LIMITS.defaultLimit : Number(rawLimit);
    const max = historyNames ? LIST_LIMITS.maxLimitWithHistory : LIST_LIMITS.maxLimit;
    if (!Number.isInteger(limit) || limit < 1) throw validationError(`limit must be a positive integer`);
    if (limit > max) {
      throw validationError(
        historyNames
          ? `limit may not be greater than ${max} when propertiesWithHistory is requested`
          : `limit may not be greater than ${max}`,
      );
    }
    const rawAfter = singleParam(req.query.after);
    const after = rawAfter === undefined || rawAfter === '' ? 0 : parseId(rawAfter);
    if (Number.isNaN(after)) throw validationError(`after must be a cursor returned in paging.next.after`);
    const archived = singleParam(req.query.archived) === 'true';
    const selection = selectProperties(
      portal.schemas[objectType],
      listParam(req.query.properties),
      historyNames,
    );
    const associations = listParam(req.query.associations);
    const store = portal.stores[objectType];
    const results: PublicObject[] = [];
    let next: number | null = null;
    for (let i = store.lowerBound(after); i < store.records.length; i++) {
      const record = store.records[i] as SimRecord;
      if (record.mergedInto !== 0 || (archived ? record.archivedAt === 0 : record.archivedAt !== 0)) continue;
      if (results.length === limit) {
        next = record.id;
        break;
      }
      const object = renderObject(record, selection);
      const linked = associationsOf(portal, objectType, record, associations);
      results.push(linked && Object.keys(linked).length > 0 ? { ...object, associations: linked } : object);
    }
    res.json({
      results,
      ...(next !== null
        ? { paging: { next: { after: String(next), link: nextLink(context, req, String(next)) } } }
        : {}),
    });
  });

  router.post(PATHS.objects, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime, appId } = apiLocals(res);
    const body = parseBody(createBody, req.body);
    const portal = runtime.portal;
    const write = apiWriteContext(context, appId);
    try {
      const record = createRecord(
        portal,
        objectType,
        validateWrite(portal, objectType, null, body.properties, false),
        write,
      );
      for (const association of body.associations ?? []) {
        const typeId = association.types[0]?.associationTypeId;
        const toType: ObjectTypeName | undefined =
          objectType === 'contacts'
            ? typeId === 199
              ? 'meetings'
              : typeId === 193
                ? 'calls'
                : typeId === 197
                  ? 'emails'
                  : 'deals'
            : 'contacts';
        changeAssociation(
          portal,
          { objectType, id: record.id },
          { objectType: toType, id: parseId(association.to.id) },
          false,
          write,
        );
      }
      res
        .status(201)
        .json(
          renderObject(
            record,
            selectProperties(portal.schemas[objectType], [...Object.keys(body.properties)], undefined),
          ),
        );
    } catch (error) {
      mutationFailure(error);
    }
  });

  router.get(PATHS.object, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    const portal = runtime.portal;
    const rawId = String(req.params.objectId);
    const idProperty = singleParam(req.query.idProperty);
    if (idProperty && idProperty !== 'hs_object_id')
      throw validationError(`The simulator reads by id only; idProperty ${idProperty} is not supported`);
    const archived = singleParam(req.query.archived) === 'true';
    const record = portal.stores[objectType].resolve(parseId(rawId));
    if (!record || (archived ? record.archivedAt === 0 : record.archivedAt !== 0)) {
      throw new SimHttpError(
        404,
        createErrorBody('OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', {
          context: { id: [rawId] },
        }),
      );
    }
    const object = renderObject(
      record,
      selectProperties(
        portal.schemas[objectType],
        listParam(req.query.properties),
        listParam(req.query.propertiesWithHistory),
      ),
    );
    const linked = associationsOf(portal, objectType, record, listParam(req.query.associations));
    res.json(linked && Object.keys(linked).length > 0 ? { ...object, associations: linked } : object);
  });

  router.patch(PATHS.object, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime, appId } = apiLocals(res);
    const body = parseBody(patchBody, req.body);
    const portal = runtime.portal;
    const record = portal.stores[objectType].resolve(parseId(String(req.params.objectId)));
    if (!record || !record.isActive)
      throw notFoundError('Object not found.  objectId are usually numeric.', {
        id: [String(req.params.objectId)],
      });
    try {
      updateRecord(
        portal,
        objectType,
        record,
        validateWrite(portal, objectType, record, body.properties, false),
        apiWriteContext(context, appId),
      );
      res.json(
        renderObject(
          record,
          selectProperties(portal.schemas[objectType], [...Object.keys(body.properties)], undefined),
        ),
      );
    } catch (error) {
      mutationFailure(error);
    }
  });

  router.delete(PATHS.object, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime, appId } = apiLocals(res);
    const record = runtime.portal.stores[objectType].get(parseId(String(req.params.objectId)));
    // HubSpot answers 204 whether or not the record existed.
    if (record) archiveRecord(runtime.portal, objectType, record, apiWriteContext(context, appId));
    res.status(204).end();
  });

  return router;
}
