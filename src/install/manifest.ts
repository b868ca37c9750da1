import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FIELD_TYPES, PROPERTY_TYPES } from '../hubspot/schemas';

/**
 * app-manifest.json (repo root) is the single source of truth for what the app declares
 * to HubSpot (architecture §2). The backend reads scopes and property definitions from
 * it; the HubSpot developer project is generated from it (hubspot-project.ts).
 */
export const PROPERTY_NAME_PREFIX = 'kpibridge_';
export const PROPERTY_GROUP_NAME = 'kpi_bridge';

const CRM_OBJECT_TYPES = ['contacts', 'deals'] as const;
const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and _');
const httpsUrl = z.url({ protocol: /^https$/ });
const routePath = z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'a path starting with /');

const propertySchema = z
  .object({
    objectType: z.enum(CRM_OBJECT_TYPES),
    name: identifier.refine(
      (n) => n.startsWith(PROPERTY_NAME_PREFIX),
      `must start with ${PROPERTY_NAME_PREFIX}`,
    ),
    label: z.string().min(1),
    description: z.string().min(1),
    type: z.enum(PROPERTY_TYPES),
    fieldType: z.enum(FIELD_TYPES),
    groupName: z.literal(PROPERTY_GROUP_NAME),
    displayOrder: z.number().int(),
    numberDisplayHint: z
      .enum(['currency', 'duration', 'formatted', 'percentage', 'probability', 'unformatted'])
      .optional(),
    showCurrencySymbol: z.boolean().optional(),
    options: z
      .array(
        z
          .object({ label: z.string().min(1), value: z.string().min(1), displayOrder: z.number().int() })
          .strict(),
      )
      .optional(),
  })
  .strict()
  .refine(
    (p) => (p.type === 'enumeration') === (p.options !== undefined && p.options.length > 0),
    'enumeration properties, and only they, list their options',
  )
  .refine(
    (p) => (p.type === 'number') === (p.fieldType === 'number'),
    'number properties use fieldType number',
  )
  .refine(
    (p) => p.numberDisplayHint === undefined || p.type === 'number',
    'numberDisplayHint is for number properties',
  );

/**
 * The scope an object's events need: the object's read scope. Calls, emails and meetings
 * (engagements) are read with the contacts scope; HubSpot's 2026-09 specs name no scope of their own.
 */
const WEBHOOK_READ_SCOPE = {
  contact: 'crm.objects.contacts.read',
  deal: 'crm.objects.deals.read',
  call: 'crm.objects.contacts.read',
  email: 'crm.objects.contacts.read',
  meeting_event: 'crm.objects.contacts.read',
} as const;

const crmSubscriptionSchema = z
  .object({
    subscriptionType: z.enum([
      'object.creation',
      'object.deletion',
      'object.merge',
      'object.restore',
      'object.associationChange',
      'object.propertyChange',
    ]),
    objectType: z.enum(['contact', 'deal', 'call', 'email', 'meeting_event']),
    propertyName: z.string().optional(),
    active: z.boolean(),
  })
  .strict()
  .refine(
    (s) => (s.subscriptionType === 'object.propertyChange') === (s.propertyName !== undefined),
    'propertyName goes with object.propertyChange only',
  )
  .refine(
    (s) => !s.propertyName?.startsWith(PROPERTY_NAME_PREFIX),
    'never subscribe to our own properties (write-back would echo)',
  );

const componentName = z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'a React component name');

const cardSchema = z
  .object({
    uid: identifier,
    name: z.string().min(1),
    description: z.string().min(1),
    location: z.enum(['crm.record.tab', 'crm.record.sidebar', 'crm.preview']),
    objectTypes: z.array(z.enum(CRM_OBJECT_TYPES)).min(1),
    component: componentName,
    backendPath: routePath,
  })
  .strict();

export const manifestSchema = z
  .object({
    uid: identifier,
    name: z.string().min(1),
    description: z.string().min(1),
    distribution: z.literal('marketplace'),
    platformVersion: z.string().regex(/^\d{4}\.\d{2}$/),
    support: z.object({ supportEmail: z.email(), documentationUrl: httpsUrl, supportUrl: httpsUrl }).strict(),
    backend: z.object({ defaultBaseUrl: httpsUrl }).strict(),
    auth: z
      .object({
        type: z.literal('oauth'),
        redirectPath: routePath,
        requiredScopes: z.array(z.string().min(1)).min(1),
        optionalScopes: z.array(z.string().min(1)),
      })
      .strict()
      .refine((a) => a.requiredScopes.includes('oauth'), 'requiredScopes must include oauth'),
    webhooks: z
      .object({
        path: routePath,
        maxConcurrentRequests: z.number().int().min(6),
        subscriptions: z
          .object({
            crmObjects: z.array(crmSubscriptionSchema),
            hubEvents: z.array(
              z
                .object({ subscriptionType: z.literal('contact.privacyDeletion'), active: z.boolean() })
                .strict(),
            ),
          })
          .strict(),
      })
      .strict(),
    cards: z.array(cardSchema),
    /** The app's settings page (a `settings` extension) and the backend path it reads and writes. */
    settings: z.object({ uid: identifier, component: componentName, backendPath: routePath }).strict(),
    /** The app pages (a `pages` extension: the report views, routed) and the backend API they read. */
    pages: z.object({ uid: identifier, component: componentName, backendPath: routePath }).strict(),
    propertyGroups: z
      .array(
        z
          .object({
            objectType: z.enum(CRM_OBJECT_TYPES),
            name: z.literal(PROPERTY_GROUP_NAME),
            label: z.string().min(1),
            displayOrder: z.number().int(),
          })
          .strict(),
      )
      .min(1),
    properties: z.array(propertySchema).min(1),
  })
  .strict()
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    for (const p of m.properties) {
      const key = `${p.objectType}.${p.name}`;
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', message: `property ${key} is declared twice`, path: ['properties'] });
      seen.add(key);
      if (!m.propertyGroups.some((g) => g.objectType === p.objectType && g.name === p.groupName)) {
        ctx.addIssue({
          code: 'custom',
          message: `property ${key} is in group ${p.groupName}, not declared for ${p.objectType}`,
          path: ['properties'],
        });
      }
    }
    // Writing a property and subscribing to an object's webhooks need the object's scopes.
    const scopes = new Set(m.auth.requiredScopes);
    for (const objectType of new Set(m.properties.map((p) => p.objectType))) {
      for (const scope of [`crm.objects.${objectType}.write`, `crm.schemas.${objectType}.write`]) {
        if (!scopes.has(scope))
          ctx.addIssue({
            code: 'custom',
            message: `writing ${objectType} properties needs the ${scope} scope`,
            path: ['auth', 'requiredScopes'],
          });
      }
    }
    for (const s of m.webhooks.subscriptions.crmObjects) {
      const scope = WEBHOOK_READ_SCOPE[s.objectType];
      if (!scopes.has(scope))
        ctx.addIssue({
          code: 'custom',
          message: `${s.objectType} webhooks need the ${scope} scope`,
          path: ['auth', 'requiredScopes'],
        });
    }
    const cardUids = m.cards.map((c) => c.uid);
    if (new Set(cardUids).size !== cardUids.length)
      ctx.addIssue({ code: 'custom', message: 'card uids must be unique', path: ['cards'] });
  });

export type AppManifest = z.infer<typeof manifestSchema>;
export type ManifestProperty = AppManifest['properties'][number];
export type ManifestPropertyGroup = AppManifest['propertyGroups'][number];

/** Source (src/install) and compiled (dist/src/install) layouts, and the image's /app. */
export function findManifestPath(): string {
  const candidates = [
    path.resolve(__dirname, '../../app-manifest.json'),
    path.resolve(__dirname, '../../../app-manifest.json'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`app-manifest.json not found (looked at ${candidates.join(', ')})`);
  return found;
}

export class ManifestError extends Error {
  constructor(file: string, issues: string[]) {
    super(`${file} is not a valid app manifest: ${issues.join('; ')}`);
    this.name = 'ManifestError';
  }
}

export function parseManifest(raw: unknown, file = 'app-manifest.json'): AppManifest {
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    throw new ManifestError(
      file,
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

let cached: AppManifest | undefined;

/** The app's manifest, read and validated once per process. */
export function loadManifest(file?: string): AppManifest {
  if (!file && cached) return cached;
  const where = file ?? findManifestPath();
  const manifest = parseManifest(JSON.parse(readFileSync(where, 'utf8')) as unknown, where);
  if (!file) cached = manifest;
  return manifest;
}

/** The scopes that must be granted, in the manifest's order. */
export function requiredScopes(manifest: AppManifest): readonly string[] {
  return manifest.auth.requiredScopes;
}
