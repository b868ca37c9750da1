import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CARD_PATHS } from '../../../src/cards';
import { REPORT_API_PATHS } from '../../../src/reports/report.schemas';
import {
  diffHubSpotProject,
  renderHubSpotProject,
  writeHubSpotProject,
} from '../../../src/install/hubspot-project';
import {
  findManifestPath,
  loadManifest,
  ManifestError,
  parseManifest,
  PROPERTY_NAME_PREFIX,
} from '../../../src/install/manifest';
import { CONTACT_PROPERTIES, DEAL_PROPERTIES } from '../../../src/sync/mappers';

const root = path.resolve(__dirname, '../../..');
const raw = JSON.parse(readFileSync(path.join(root, 'app-manifest.json'), 'utf8')) as Record<string, unknown>;
const manifest = loadManifest();

describe('app-manifest.json', () => {
  it('is found at the repo root and is valid', () => {
    expect(findManifestPath()).toBe(path.join(root, 'app-manifest.json'));
    expect(manifest.distribution).toBe('marketplace');
    expect(manifest.auth.type).toBe('oauth');
  });

  it('asks exactly for the scopes the app uses', () => {
    expect([...manifest.auth.requiredScopes].sort()).toEqual(
      [
        'oauth',
        'crm.objects.contacts.read',
        'crm.objects.contacts.write',
        'crm.objects.deals.read',
        'crm.objects.deals.write',
        'crm.objects.owners.read',
        'crm.schemas.contacts.write',
        'crm.schemas.deals.write',
      ].sort(),
    );
    // Calls, emails and meetings are read with crm.objects.contacts.read (HubSpot's 2026-09 specs);
    // the analytics sources report needs business-intelligence, which not every portal's
    // subscription can grant, so it is optional (a portal without it gets a recorded 403).
    expect(manifest.auth.optionalScopes).toEqual(['business-intelligence']);
  });

  it('declares a KPI property for each figure the spec puts on a record, all in the kpi_bridge group', () => {
    const names = (objectType: string) =>
      manifest.properties
        .filter((p) => p.objectType === objectType)
        .map((p) => p.name.slice(PROPERTY_NAME_PREFIX.length));
    for (const model of [
      'first_touch',
      'last_touch',
      'linear',
      'u_shaped',
      'w_shaped',
      'full_path',
      'time_decay',
      'j_shaped',
      'inverse_j',
      'markov',
    ]) {
      expect(names('deals')).toContain(`attributed_source_${model}`);
    }
    expect(names('deals')).toEqual(
      expect.arrayContaining([
        'deal_age_days',
        'days_in_current_stage',
        'stage_median_days',
        'pipeline_velocity',
        'days_to_close',
      ]),
    );
    expect(names('contacts')).toEqual(
      expect.arrayContaining([
        'days_to_deal',
        'first_touch_channel',
        'last_touch_channel',
        'touches_count',
        'speed_to_lead_minutes',
      ]),
    );
    expect(new Set(manifest.properties.map((p) => p.groupName))).toEqual(new Set(['kpi_bridge']));
  });

  it('subscribes to the webhooks the sync needs, on properties it reads', () => {
    const subs = manifest.webhooks.subscriptions.crmObjects;
    for (const objectType of ['contact', 'deal'] as const) {
      for (const type of ['object.creation', 'object.deletion', 'object.merge', 'object.associationChange']) {
        expect(subs).toContainEqual(expect.objectContaining({ subscriptionType: type, objectType }));
      }
    }
    // The sales activities speed to lead reads: calls, emails, meetings (engagements).
    for (const objectType of ['call', 'email', 'meeting_event'] as const) {
      for (const type of [
        'object.creation',
        'object.deletion',
        'object.restore',
        'object.associationChange',
      ]) {
        expect(subs).toContainEqual(expect.objectContaining({ subscriptionType: type, objectType }));
      }
    }
    const watched = (objectType: string) =>
      subs.filter((s) => s.objectType === objectType && s.propertyName).map((s) => s.propertyName as string);
    expect(watched('call')).toEqual(['hs_timestamp']);
    expect(watched('email')).toEqual(['hs_timestamp', 'hs_email_direction']);
    expect(watched('meeting_event')).toEqual(['hs_meeting_source']);
    expect(watched('contact')).toEqual(
      expect.arrayContaining(['lifecyclestage', 'hs_analytics_source', 'hubspot_owner_id']),
    );
    expect(watched('deal')).toEqual(
      expect.arrayContaining([
        'dealstage',
        'amount',
        'closedate',
        'pipeline',
        'hubspot_owner_id',
        'hs_analytics_source',
      ]),
    );
    // Only properties the sync actually reads are worth a webhook.
    for (const p of watched('contact')) expect(CONTACT_PROPERTIES as readonly string[]).toContain(p);
    for (const p of watched('deal')) expect(DEAL_PROPERTIES as readonly string[]).toContain(p);
    expect(manifest.webhooks.subscriptions.hubEvents).toEqual([
      { subscriptionType: 'contact.privacyDeletion', active: true },
    ]);
  });

  it.each([
    [
      'a property without the prefix',
      (m: Record<string, unknown>) => ({
        ...m,
        properties: [{ ...(m.properties as object[])[0], name: 'velocity' }],
      }),
    ],
    [
      'a subscription to our own property',
      (m: Record<string, unknown>) => ({
        ...m,
        webhooks: {
          ...(m.webhooks as object),
          subscriptions: {
            crmObjects: [
              {
                subscriptionType: 'object.propertyChange',
                objectType: 'deal',
                propertyName: 'kpibridge_deal_age_days',
                active: true,
              },
            ],
            hubEvents: [],
          },
        },
      }),
    ],
    [
      'writing deals without the deal schema scope',
      (m: Record<string, unknown>) => ({
        ...m,
        auth: {
          ...(m.auth as object),
          requiredScopes: ['oauth', 'crm.objects.contacts.read', 'crm.objects.deals.read'],
        },
      }),
    ],
    ['an unknown key', (m: Record<string, unknown>) => ({ ...m, extra: true })],
  ])('rejects %s', (_why, mutate) => {
    expect(() => parseManifest(mutate(raw))).toThrow(ManifestError);
  });
});

describe('hubspot-project/', () => {
  it('is exactly what `kpi-bridge hubspot-project` generates from the manifest now', async () => {
    const files = renderHubSpotProject(manifest, manifest.backend.defaultBaseUrl);
    expect(await diffHubSpotProject(path.join(root, 'hubspot-project'), files)).toEqual([]);
  });

  it('declares platform 2026.09, the redirect URL, scopes, webhooks target and cards from the manifest', () => {
    const files = renderHubSpotProject(manifest, 'https://kpi.example.org/');
    const read = (rel: string) =>
      JSON.parse(files.get(rel) ?? 'null') as Record<string, Record<string, unknown>>;
    expect(read('hsproject.json')).toEqual({ name: 'kpi-bridge', srcDir: 'src', platformVersion: '2026.09' });
    const app = read('src/app/app-hsmeta.json');
    expect(app.config).toMatchObject({
      distribution: 'marketplace',
      auth: {
        type: 'oauth',
        redirectUrls: ['https://kpi.example.org/oauth/callback'],
        requiredScopes: manifest.auth.requiredScopes,
      },
      permittedUrls: { fetch: ['https://kpi.example.org'] },
    });
    expect(read('src/app/webhooks/webhooks-hsmeta.json').config).toMatchObject({
      settings: { targetUrl: 'https://kpi.example.org/webhooks/hubspot' },
    });
    expect(read('src/app/cards/deal-kpis-hsmeta.json').config).toMatchObject({
      location: 'crm.record.tab',
      objectTypes: ['deals'],
    });
    expect(read('src/app/cards/deal-kpis-hsmeta.json').config).toMatchObject({
      entrypoint: '/app/cards/DealKpis.tsx',
    });
    expect(read('src/app/cards/deal-kpis-sidebar-hsmeta.json').config).toMatchObject({
      location: 'crm.record.sidebar',
      entrypoint: '/app/cards/DealKpisSidebar.tsx',
    });
    expect(read('src/app/settings/settings-hsmeta.json')).toEqual({
      uid: 'kpi_bridge_settings',
      type: 'settings',
      config: { entrypoint: '/app/settings/SettingsPage.tsx' },
    });
    expect(read('src/app/pages/pages-hsmeta.json')).toEqual({
      uid: 'kpi_bridge_pages',
      type: 'pages',
      config: { entrypoint: '/app/pages/Pages.tsx' },
    });
    // The extensions fetch the backend URL that permittedUrls.fetch allows.
    for (const folder of ['cards', 'settings', 'pages'])
      expect(files.get(`src/app/${folder}/generated/backend.ts`)).toContain(
        'export const BACKEND_BASE_URL = "https://kpi.example.org";',
      );
  });

  it('puts every *-hsmeta.json where HubSpot’s project parser looks for its type, with only the fields it allows', () => {
    // Offline stand-in for the upload's validation (the CLI downloads the JSON schemas): the
    // component types, their folders, the singular ones and the top-level fields of
    // @hubspot/project-parsing-lib 0.23.0 (src/lib/constants.js: Components,
    // ALLOWED_TOP_LEVEL_FIELDS), the parser the HubSpot CLI uses. 'pages' and 'page' are one
    // component (the app pages); HubSpot's own 2026.03 template writes 'page'.
    const folderOf: Record<string, string> = {
      app: 'src/app',
      card: 'src/app/cards',
      settings: 'src/app/settings',
      page: 'src/app/pages',
      pages: 'src/app/pages',
      webhooks: 'src/app/webhooks',
    };
    const singular = new Set(['app', 'settings', 'pages', 'webhooks']);
    const allowed = new Set(['uid', 'type', 'config', 'dependencies', 'permissions']);
    const files = renderHubSpotProject(manifest, manifest.backend.defaultBaseUrl);
    const metas = [...files]
      .filter(([rel]) => rel.endsWith('-hsmeta.json'))
      .map(([rel, text]) => ({ rel, meta: JSON.parse(text) as { uid: string; type: string } }));
    for (const { rel, meta } of metas) {
      expect({ rel, folder: path.dirname(rel) }).toEqual({ rel, folder: folderOf[meta.type] });
      expect(Object.keys(meta).filter((k) => !allowed.has(k))).toEqual([]);
    }
    const kinds = metas.map(({ meta }) => (meta.type === 'page' ? 'pages' : meta.type));
    for (const kind of singular) expect(kinds.filter((k) => k === kind)).toHaveLength(1);
    expect(new Set(metas.map(({ meta }) => meta.uid)).size).toBe(metas.length);
  });

  it('gives every extension the API contract and the backend client verbatim, and the manifest routes are the contract’s', () => {
    const contract = readFileSync(path.join(root, 'src/cards/card.schemas.ts'), 'utf8');
    const files = renderHubSpotProject(manifest, manifest.backend.defaultBaseUrl);
    for (const folder of ['cards', 'settings']) {
      const copy = files.get(`src/app/${folder}/generated/api.ts`) ?? '';
      expect(copy.slice(copy.indexOf('\n') + 1)).toBe(contract);
    }
    expect(new Set(manifest.cards.map((c) => c.backendPath))).toEqual(
      new Set([CARD_PATHS.deal, CARD_PATHS.contact]),
    );
    expect(manifest.settings.backendPath).toBe(CARD_PATHS.settings);
    const reports = readFileSync(path.join(root, 'src/reports/report.schemas.ts'), 'utf8');
    const copy = files.get('src/app/pages/generated/reports.ts') ?? '';
    expect(copy.slice(copy.indexOf('\n') + 1)).toBe(reports);
    expect(files.has('src/app/pages/generated/api.ts')).toBe(false);
    // One backend client, copied into every extension folder (HubSpot builds each on its own).
    const client = readFileSync(path.join(root, 'hubspot-project/shared/backend-client.ts'), 'utf8');
    for (const folder of ['cards', 'settings', 'pages']) {
      const copy = files.get(`src/app/${folder}/generated/client.ts`) ?? '';
      expect(copy.slice(copy.indexOf('\n') + 1)).toBe(client);
    }
    expect(REPORT_API_PATHS.link.startsWith(`${manifest.pages.backendPath}/`)).toBe(true);
    expect(REPORT_API_PATHS.view('overview').startsWith(`${manifest.pages.backendPath}/`)).toBe(true);
  });

  it('reports a drifted contract copy and a leftover generated file, but not hand-written components', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hsproject-'));
    try {
      const files = renderHubSpotProject(manifest, manifest.backend.defaultBaseUrl);
      await writeHubSpotProject(dir, files);
      writeFileSync(path.join(dir, 'src/app/cards/DealKpis.tsx'), 'export {};\n');
      expect(await diffHubSpotProject(dir, files)).toEqual([]);
      writeFileSync(path.join(dir, 'src/app/cards/generated/api.ts'), 'export const stale = true;\n');
      writeFileSync(path.join(dir, 'src/app/cards/old-card-hsmeta.json'), '{}\n');
      expect(await diffHubSpotProject(dir, files)).toEqual([
        'differs src/app/cards/generated/api.ts',
        'not generated src/app/cards/old-card-hsmeta.json',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
