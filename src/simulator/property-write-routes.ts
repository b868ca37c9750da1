import { Router } from 'express';
import { z } from 'zod';
import type { SimulatorContext } from './context';
import { PATHS } from './endpoints';
import { createErrorBody, SimHttpError, validationError } from './errors';
import { apiLocals, guardApi, parseBody } from './http-support';
import { objectTypeParam } from './crm-routes';
import type { PropertyDefinition } from './schema';

/**
 * Property definition updates as HubSpot documents them: PATCH a custom property (label, description,
 * group, type, field type, options, display hints; `options` replaces the list) and DELETE it
 * (archived: gone from listings, writes to it refused, a create of its name restores it).
 * HubSpot-defined and read-only definitions are refused.
 */
const option = z.object({
  label: z.string(),
  value: z.string(),
  displayOrder: z.number().int().optional(),
  hidden: z.boolean().optional(),
  description: z.string().optional(),
});

const propertyPatchBody = z
  .object({
    label: z.string().min(1).optional(),
    description: z.string().optional(),
    groupName: z.string().min(1).optional(),
    type: z.enum(['string', 'number', 'datetime', 'date', 'enumeration', 'bool', 'phone_number']).optional(),
    fieldType: z.string().min(1).optional(),
    options: z.array(option).optional(),
    displayOrder: z.number().int().optional(),
    hidden: z.boolean().optional(),
    formField: z.boolean().optional(),
    numberDisplayHint: z
      .enum(['currency', 'duration', 'formatted', 'percentage', 'probability', 'unformatted'])
      .optional(),
    showCurrencySymbol: z.boolean().optional(),
  })
  .strict();

const TIME_TYPES = new Set(['date', 'datetime']);

function notFound(name: string): SimHttpError {
  return new SimHttpError(404, createErrorBody('OBJECT_NOT_FOUND', `Unable to find property ${name}`));
}

export function createPropertyWriteRouter(context: SimulatorContext): Router {
  const router = Router();
  const general = guardApi(context, 'general');

  router.patch(PATHS.property, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime, userId } = apiLocals(res);
    const name = String(req.params.propertyName);
    const body = parseBody(propertyPatchBody, req.body);
    const schema = runtime.portal.schemas[objectType];
    const property = schema.get(name);
    if (!property || property.definition.archived) throw notFound(name);
    const current = property.definition;
    if (current.hubspotDefined || current.modificationMetadata.readOnlyDefinition)
      throw validationError(`Property ${name} is read-only and cannot be updated`);
    // Values are stored by kind (times as epoch ms); a change across kinds would strand them.
    if (body.type !== undefined && TIME_TYPES.has(body.type) !== TIME_TYPES.has(current.type))
      throw validationError(`Property ${name} cannot change from type ${current.type} to ${body.type}`);
    if (body.groupName !== undefined && !schema.groups.some((g) => g.name === body.groupName && !g.archived))
      throw validationError(`Property group ${body.groupName} does not exist`, {
        subCategory: 'Properties.PROPERTY_GROUP_NOT_FOUND',
      });
    const { options, ...rest } = body;
    const next: PropertyDefinition = {
      ...current,
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
      ...(options !== undefined
        ? {
            options: options.map((o, i) => ({
              label: o.label,
              value: o.value,
              displayOrder: o.displayOrder ?? i,
              hidden: o.hidden ?? false,
              ...(o.description !== undefined ? { description: o.description } : {}),
            })),
          }
        : {}),
      updatedAt: new Date(context.now()).toISOString(),
      updatedUserId: String(userId),
    };
    if (next.type === 'enumeration' && next.options.length === 0 && !next.externalOptions)
      throw validationError(`Enumeration property ${name} needs options`);
    property.definition = next;
    res.json(next);
  });

  router.delete(PATHS.property, general, (req, res) => {
    const objectType = objectTypeParam(req);
    const { runtime } = apiLocals(res);
    const name = String(req.params.propertyName);
    const property = runtime.portal.schemas[objectType].get(name);
    if (!property || property.definition.archived) throw notFound(name);
    if (property.definition.hubspotDefined) throw validationError(`Property ${name} cannot be archived`);
    property.definition = { ...property.definition, archived: true };
    res.status(204).end();
  });

  return router;
}
