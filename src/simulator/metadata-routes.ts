import { Router } from 'express';
import { z } from 'zod';
import { findAssociationDirection } from './associations';
import { OBJECT_TYPES, resolveObjectType, type Pipeline } from './catalog';
import type { SimulatorContext } from './context';
import { PATHS } from './endpoints';
import { conflictError, createErrorBody, notFoundError, SimHttpError, validationError } from './errors';
import { apiLocals, guardApi, parseBody, singleParam } from './http-support';
import { describeUtcOffset, type Portal } from './portal';
import type { PropertyDefinition } from './schema';
import { objectTypeParam } from './crm-routes';

/**
 * The read-mostly APIs around the objects: v4 association batch read,
 * pipelines, properties and property groups, owners and account details.
 */
export const ASSOCIATION_BATCH_LIMIT = 1000;
export const OWNERS_MAX_LIMIT = 500;

const associationBatchBody = z.object({
  inputs: z
    .array(
      z.object({
        id: z.union([z.string().min(1), z.number()]).transform(String),
        after: z.string().optional(),
      }),
    )
    .max(ASSOCIATION_BATCH_LIMIT, `Too many inputs: at most ${ASSOCIATION_BATCH_LIMIT} are allowed`),
});

const propertyCreateBody = z.object({
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]*$/,
      'must start with a lower-case letter and hold only lower-case letters, digits and underscores',
    ),
  label: z.string().min(1),
  type: z.enum(['string', 'number', 'datetime', 'date', 'enumeration', 'bool', 'phone_number']),
  fieldType: z.enum([
    'booleancheckbox',
    'calculation_equation',
    'checkbox',
    'date',
    'file',
    'html',
    'number',
    'phonenumber',
    'radio',
    'select',
    'text',
    'textarea',
  ]),
  groupName: z.string().min(1),
  description: z.string().optional(),
  options: z
    .array(
      z.object({
        label: z.string(),
        value: z.string(),
        displayOrder: z.number().int().optional(),
        hidden: z.boolean().optional(),
        description: z.string().optional(),
      }),
    )
    .optional(),
  displayOrder: z.number().int().optional(),
  hasUniqueValue: z.boolean().optional(),
  hidden: z.boolean().optional(),
  formField: z.boolean().optional(),
  numberDisplayHint: z
    .enum(['currency', 'duration', 'formatted', 'percentage', 'probability', 'unformatted'])
    .optional(),
  showCurrencySymbol: z.boolean().optional(),
  externalOptions: z.boolean().optional(),
});

const groupCreateBody = z.object({
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]*$/,
      'must start with a lower-case letter and hold only lower-case letters, digits and underscores',
    ),
  label: z.string().min(1),
  displayOrder: z.number().int().optional(),
});

const PIPELINES_CREATED_AT = '2020-01-15T09:30:00.000Z';

function renderProbability(p: number): string {
  return Number.isInteger(p) ? p.toFixed(1) : String(p);
}

function renderPipeline(pipeline: Pipeline): object {
  return {
    id: pipeline.id,
    label: pipeline.label,
    displayOrder: pipeline.displayOrder,
    archived: false,
    createdAt: PIPELINES_CREATED_AT,
    updatedAt: PIPELINES_CREATED_AT,
    stages: pipeline.stages.map((s) => renderStage(s)),
  };
}

function renderStage(stage: Pipeline['stages'][number]): object {
  return {
    id: stage.id,
    label: stage.label,
    displayOrder: stage.displayOrder,
    archived: false,
    metadata: {
      isClosed: stage.isClosed ? 'true' : 'false',
      probability: renderProbability(stage.probability),
    },
    createdAt: PIPELINES_CREATED_AT,
    updatedAt: PIPELINES_CREATED_AT,
    // The 2026-09 pipelines spec's enum: CRM_PERMISSIONS_ENFORCEMENT | INTERNAL_ONLY | READ_ONLY.
    writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
  };
}

function requireDealsPipelines(raw: string): void {
  if (resolveObjectType(raw) !== 'deals')
    throw validationError(`The simulator has pipelines for deals only, not ${raw}`);
}

export function listAccountDetails(portal: Portal, now: number): object {
  return { ...portal.account, ...describeUtcOffset(portal.account.timeZone, now) };
}

export function createMetadataRouter(context: SimulatorContext): Router {
  const router = Router();
  const general = guardApi(context, 'general');

  router.post(PATHS.associationsBatchRead, general, (req, res) => {
    const from = objectTypeParam(req, 'fromObjectType');
    const to = objectTypeParam(req, 'toObjectType');
    const direction = findAssociationDirection(from, to);
    if (!direction)
      throw validationError(`No association types exist between ${from} and ${to} in the simulator`);
    const { runtime } = apiLocals(res);
    const portal = runtime.portal;
    const body = parseBody(associationBatchBody, req.body);
    const startedAt = new Date(context.now()).toISOString();
    const results: object[] = [];
    const errors: object[] = [];
    for (const input of body.inputs) {
      const id = /^\d+$/.test(input.id) ? Number(input.id) : NaN;
      const record = portal.stores[from].get(id);
      const targets = record?.isActive
        ? portal.associations.read(direction, id).filter((t) => portal.stores[to].get(t)?.isActive)
        : [];
      if (targets.length === 0) {
        errors.push({
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          // A batch answer's errors[] are the spec's StandardError, whose subCategory is an object.
          subCategory: { code: 'crm.associations.NO_ASSOCIATIONS_FOUND' },
          message: `No ${OBJECT_TYPES[to].singular} is associated with ${OBJECT_TYPES[from].singular} ${input.id}.`,
          context: {
            fromObjectId: [input.id],
            fromObjectType: [OBJECT_TYPES[from].singular],
            toObjectType: [OBJECT_TYPES[to].singular],
          },
          errors: [],
          links: {},
        });
        continue;
      }
      results.push({
        from: { id: input.id },
        to: targets.map((t) => ({
          // The spec's strings: the id as text, and an unlabelled association's label empty.
          toObjectId: String(t),
          associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: direction.typeId, label: '' }],
        })),
      });
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

  router.get(PATHS.pipelines, general, (req, res) => {
    requireDealsPipelines(String(req.params.objectType));
    const { runtime } = apiLocals(res);
    res.json({ results: runtime.portal.pipelines.map(renderPipeline) });
  });

  router.get(PATHS.pipeline, general, (req, res) => {
    requireDealsPipelines(String(req.params.objectType));
    const { runtime } = apiLocals(res);
    const pipeline = runtime.portal.pipelines.find((p) => p.id === req.params.pipelineId);
    if (!pipeline) throw notFoundError(`Unable to find pipeline ${String(req.params.pipelineId)}`);
    res.json(renderPipeline(pipeline));
  });

  router.get(PATHS.pipelineStages, general, (req, res) => {
    requireDealsPipelines(String(req.params.objectType));
    const { runtime } = apiLocals(res);
    const pipeline = runtime.portal.pipelines.find((p) => p.id === req.params.pipelineId);
    if (!pipeline) throw notFoundError(`Unable to find pipeline ${String(req.params.pipelineId)}`);
    res.json({ results: pipeline.stages.map((s) => renderStage(s)) });
  });

  router.get(PATHS.propertyGroups, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    res.json({ results: runtime.portal.schemas[objectType].groups.filter((g) => !g.archived) });
  });

  router.get(PATHS.propertyGroup, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    const group = runtime.portal.schemas[objectType].groups.find(
      (g) => g.name === req.params.groupName && !g.archived,
    );
    if (!group) throw notFoundError(`Unable to find property group ${String(req.params.groupName)}`);
    res.json(group);
  });

  router.post(PATHS.propertyGroups, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    const body = parseBody(groupCreateBody, req.body);
    const groups = runtime.portal.schemas[objectType].groups;
    if (groups.some((g) => g.name === body.name && !g.archived)) {
      throw conflictError(
        `A property group named '${body.name}' already exists.`,
        'PropertyGroups.GROUP_WITH_NAME_EXISTS',
      );
    }
    const group = {
      name: body.name,
      label: body.label,
      displayOrder: body.displayOrder ?? -1,
      archived: false,
    };
    const archivedAt = groups.findIndex((g) => g.name === body.name);
    if (archivedAt >= 0) groups.splice(archivedAt, 1);
    groups.push(group);
    res.status(201).json(group);
  });

  router.get(PATHS.properties, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    const archived = singleParam(req.query.archived) === 'true';
    res.json({
      results: runtime.portal.schemas[objectType].properties
        .map((p) => p.definition)
        .filter((d) => d.archived === archived),
    });
  });

  router.get(PATHS.property, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    const property = runtime.portal.schemas[objectType].get(String(req.params.propertyName));
    if (!property || property.definition.archived) {
      throw new SimHttpError(
        404,
        createErrorBody('OBJECT_NOT_FOUND', `Unable to find property ${String(req.params.propertyName)}`),
      );
    }
    res.json(property.definition);
  });

  router.post(PATHS.properties, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime, userId } = apiLocals(res);
    const body = parseBody(propertyCreateBody, req.body);
    const schema = runtime.portal.schemas[objectType];
    const existing = schema.get(body.name);
    if (existing && !existing.definition.archived) {
      throw conflictError(
        `A property named '${body.name}' already exists.`,
        'Properties.PROPERTY_WITH_NAME_EXISTS',
      );
    }
    if (!schema.groups.some((g) => g.name === body.groupName && !g.archived)) {
      throw validationError(`Property group ${body.groupName} does not exist`, {
        subCategory: 'Properties.PROPERTY_GROUP_NOT_FOUND',
      });
    }
    if (
      body.hasUniqueValue &&
      schema.properties.filter((p) => p.definition.hasUniqueValue && !p.definition.hubspotDefined).length >=
        10
    ) {
      throw validationError('An object may have at most 10 properties with unique values');
    }
    const at = new Date(context.now()).toISOString();
    const definition: PropertyDefinition = {
      name: body.name,
      label: body.label,
      type: body.type,
      fieldType: body.fieldType,
      description: body.description ?? '',
      groupName: body.groupName,
      options: (body.options ?? []).map((o, i) => ({
        label: o.label,
        value: o.value,
        displayOrder: o.displayOrder ?? i,
        hidden: o.hidden ?? false,
        ...(o.description !== undefined ? { description: o.description } : {}),
      })),
      displayOrder: body.displayOrder ?? -1,
      calculated: false,
      externalOptions: body.externalOptions ?? false,
      hasUniqueValue: body.hasUniqueValue ?? false,
      hidden: body.hidden ?? false,
      modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
      formField: body.formField ?? false,
      dataSensitivity: 'non_sensitive',
      createdAt: at,
      updatedAt: at,
      archived: false,
      createdUserId: String(userId),
      updatedUserId: String(userId),
      ...(body.numberDisplayHint ? { numberDisplayHint: body.numberDisplayHint } : {}),
      ...(body.showCurrencySymbol !== undefined ? { showCurrencySymbol: body.showCurrencySymbol } : {}),
    };
    if (existing) {
      // A create of an archived property's name restores it with the posted definition (observed on HubSpot).
      existing.definition = definition;
    } else {
      schema.addCustom(definition);
    }
    res.status(201).json(definition);
  });

  router.get(PATHS.owners, general, (req, res) => {
    const { runtime } = apiLocals(res);
    const rawLimit = singleParam(req.query.limit);
    const limit = rawLimit === undefined ? 100 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > OWNERS_MAX_LIMIT)
      throw validationError(`limit must be between 1 and ${OWNERS_MAX_LIMIT}`);
    const archived = singleParam(req.query.archived) === 'true';
    const email = singleParam(req.query.email);
    const owners = runtime.portal.owners.filter(
      (o) => o.archived === archived && (email === undefined || o.email === email),
    );
    const after = Number(singleParam(req.query.after) ?? '0');
    if (!Number.isInteger(after) || after < 0)
      throw validationError('after must be a cursor returned in paging.next.after');
    const page = owners.slice(after, after + limit);
    const next = after + limit < owners.length ? String(after + limit) : null;
    const link = () => {
      const url = new URL(req.originalUrl, context.baseUrl);
      url.searchParams.set('after', next ?? '');
      return url.toString();
    };
    res.json({
      results: page,
      ...(next !== null ? { paging: { next: { after: next, link: link() } } } : {}),
    });
  });

  router.get(PATHS.owner, general, (req, res) => {
    const { runtime } = apiLocals(res);
    const byUserId = singleParam(req.query.idProperty) === 'userId';
    const archived = singleParam(req.query.archived) === 'true';
    const raw = String(req.params.ownerId);
    const owner = runtime.portal.owners.find(
      (o) => (byUserId ? String(o.userId) === raw : o.id === raw) && o.archived === archived,
    );
    if (!owner) throw notFoundError(`Unable to find owner ${raw}`);
    res.json(owner);
  });

  router.get(PATHS.accountDetails, general, (_req, res) => {
    const { runtime } = apiLocals(res);
    res.json(listAccountDetails(runtime.portal, context.now()));
  });

  return router;
}
