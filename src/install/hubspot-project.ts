import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findManifestPath } from './manifest';
import type { AppManifest } from './manifest';

/**
 * Generates the HubSpot developer project (platform 2026.09, reference §5b, §9) from
 * app-manifest.json: hsproject.json, src/app/app-hsmeta.json, the webhooks, card, settings and
 * pages *-hsmeta.json files, each extension folder's package.json, and in each extension folder a
 * `generated/` folder with the backend's base URL (what hubspot.fetch calls; the same URL is in
 * permittedUrls.fetch), the backend client (hubspot-project/shared/backend-client.ts) and a
 * verbatim copy of the API contract it reads: src/cards/card.schemas.ts for the cards and
 * settings, src/reports/report.schemas.ts for the app pages.
 * The React components, their tests and the toolchain (hubspot-project/package.json) are written
 * by hand. Generated files are committed; a test regenerates them and fails on any difference,
 * or on a generated-looking file the manifest no longer produces.
 */
export const HUBSPOT_PROJECT_DIR = 'hubspot-project';

/** The contract between the read API and the extensions, relative to the repo root. */
export const CARD_CONTRACT_SOURCE = 'src/cards/card.schemas.ts';
/** The contract between the reports' JSON API and the app pages, relative to the repo root. */
export const REPORT_CONTRACT_SOURCE = 'src/reports/report.schemas.ts';
/** The extensions' backend client (hand-written, outside the uploaded srcDir), relative to the repo root. */
export const EXTENSION_CLIENT_SOURCE = `${HUBSPOT_PROJECT_DIR}/shared/backend-client.ts`;

export type ProjectFiles = Map<string, string>;

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function kebab(name: string): string {
  return name.replace(/_/g, '-');
}

const GENERATED_NOTE = '// Generated from app-manifest.json by `kpi-bridge hubspot-project`: do not edit.';

/** The contract file as found in the repo (the generator's input besides the manifest). */
export function loadCardContract(repoRoot: string): string {
  return readFileSync(path.join(repoRoot, CARD_CONTRACT_SOURCE), 'utf8');
}

export function loadReportContract(repoRoot: string): string {
  return readFileSync(path.join(repoRoot, REPORT_CONTRACT_SOURCE), 'utf8');
}

export function loadExtensionClient(repoRoot: string): string {
  return readFileSync(path.join(repoRoot, EXTENSION_CLIENT_SOURCE), 'utf8');
}

function backendModule(base: string): string {
  return `${GENERATED_NOTE}
/** The KPI Bridge backend that hubspot.fetch calls (listed in the app's permittedUrls.fetch). */
export const BACKEND_BASE_URL = ${JSON.stringify(base)};

/** A backend URL; HubSpot appends portalId, userId, userEmail and appId and signs the request. */
export function backendUrl(path: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return \`\${BACKEND_BASE_URL}\${path}\${query ? \`?\${query}\` : ''}\`;
}
`;
}

/** Every generated file of the project, keyed by its path relative to the project folder. */
export function renderHubSpotProject(
  manifest: AppManifest,
  backendBaseUrl: string,
  cardContract: string = loadCardContract(path.dirname(findManifestPath())),
  reportContract: string = loadReportContract(path.dirname(findManifestPath())),
  extensionClient: string = loadExtensionClient(path.dirname(findManifestPath())),
): ProjectFiles {
  const base = backendBaseUrl.replace(/\/+$/, '');
  const files: ProjectFiles = new Map();
  files.set(
    'hsproject.json',
    json({ name: kebab(manifest.uid), srcDir: 'src', platformVersion: manifest.platformVersion }),
  );
  files.set(
    'src/app/app-hsmeta.json',
    json({
      uid: manifest.uid,
      type: 'app',
      config: {
        name: manifest.name,
        description: manifest.description,
        distribution: manifest.distribution,
        auth: {
          type: manifest.auth.type,
          redirectUrls: [`${base}${manifest.auth.redirectPath}`],
          requiredScopes: manifest.auth.requiredScopes,
          optionalScopes: manifest.auth.optionalScopes,
          conditionallyRequiredScopes: [],
        },
        permittedUrls: { fetch: [base], iframe: [], img: [] },
        support: manifest.support,
      },
    }),
  );
  files.set(
    'src/app/webhooks/webhooks-hsmeta.json',
    json({
      uid: `${manifest.uid}_webhooks`,
      type: 'webhooks',
      config: {
        settings: {
          targetUrl: `${base}${manifest.webhooks.path}`,
          maxConcurrentRequests: manifest.webhooks.maxConcurrentRequests,
        },
        subscriptions: {
          crmObjects: manifest.webhooks.subscriptions.crmObjects,
          legacyCrmObjects: [],
          hubEvents: manifest.webhooks.subscriptions.hubEvents,
        },
      },
    }),
  );
  for (const card of manifest.cards) {
    files.set(
      `src/app/cards/${kebab(card.uid)}-hsmeta.json`,
      json({
        uid: card.uid,
        type: 'card',
        config: {
          name: card.name,
          description: card.description,
          location: card.location,
          entrypoint: `/app/cards/${card.component}.tsx`,
          objectTypes: card.objectTypes,
        },
      }),
    );
  }
  files.set(
    'src/app/settings/settings-hsmeta.json',
    json({
      uid: manifest.settings.uid,
      type: 'settings',
      config: { entrypoint: `/app/settings/${manifest.settings.component}.tsx` },
    }),
  );
  files.set(
    'src/app/pages/pages-hsmeta.json',
    json({
      uid: manifest.pages.uid,
      type: 'pages',
      config: { entrypoint: `/app/pages/${manifest.pages.component}.tsx` },
    }),
  );
  // Each extension folder is built by HubSpot on its own: its own package.json and its own copy
  // of the generated modules (the versions match the toolchain in hubspot-project/package.json).
  const contracts = {
    cards: ['api.ts', CARD_CONTRACT_SOURCE, cardContract],
    settings: ['api.ts', CARD_CONTRACT_SOURCE, cardContract],
    pages: ['reports.ts', REPORT_CONTRACT_SOURCE, reportContract],
  } as const;
  for (const [folder, [file, source, contract]] of Object.entries(contracts)) {
    files.set(
      `src/app/${folder}/package.json`,
      json({
        name: `${kebab(manifest.uid)}-${folder}`,
        version: '0.1.0',
        private: true,
        type: 'module',
        dependencies: { '@hubspot/ui-extensions': '0.17.0', react: '18.3.1', zod: '4.6.7' },
      }),
    );
    files.set(`src/app/${folder}/generated/backend.ts`, backendModule(base));
    files.set(
      `src/app/${folder}/generated/client.ts`,
      `${GENERATED_NOTE} Source: ${EXTENSION_CLIENT_SOURCE}.\n${extensionClient}`,
    );
    files.set(`src/app/${folder}/generated/${file}`, `${GENERATED_NOTE} Source: ${source}.\n${contract}`);
  }
  files.set(
    'README.md',
    `# ${manifest.name}: HubSpot developer project\n\nThe \`*-hsmeta.json\` files, the extension folders' \`package.json\` and their \`generated/\` folders are\ngenerated from \`app-manifest.json\` by \`npx kpi-bridge hubspot-project\`; do not edit them by hand (a test\nfails when they differ from what the generator writes). The \`.tsx\` components, their tests and\n\`shared/backend-client.ts\` (copied into every extension as \`generated/client.ts\`) are written by hand; \`npm ci && npm run check\` in this folder type-checks and tests them. Upload with\n\`hs project upload\` from this folder. Backend: ${base}\n`,
  );
  return files;
}

/** Files the generator owns: a file of this shape that it did not produce is a leftover. */
function isGeneratedShape(rel: string): boolean {
  return (
    rel === 'hsproject.json' ||
    rel === 'README.md' ||
    rel.endsWith('-hsmeta.json') ||
    /^src\/app\/[^/]+\/package\.json$/.test(rel) ||
    /^src\/app\/[^/]+\/generated\//.test(rel)
  );
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.name === 'node_modules') continue;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** Paths that are missing, different or not generated (relative to `dir`). Empty: in sync. */
export async function diffHubSpotProject(dir: string, files: ProjectFiles): Promise<string[]> {
  const problems: string[] = [];
  for (const [rel, content] of files) {
    const current = await readFile(path.join(dir, rel), 'utf8').catch(() => null);
    if (current === null) problems.push(`missing ${rel}`);
    else if (current !== content) problems.push(`differs ${rel}`);
  }
  for (const rel of await listFiles(dir))
    if (isGeneratedShape(rel) && !files.has(rel)) problems.push(`not generated ${rel}`);
  return problems;
}

/** Writes the project, removing generated files the manifest no longer produces (hand-written ones stay). */
export async function writeHubSpotProject(dir: string, files: ProjectFiles): Promise<void> {
  for (const rel of await listFiles(dir))
    if (isGeneratedShape(rel) && !files.has(rel)) await rm(path.join(dir, rel));
  for (const [rel, content] of files) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
}
