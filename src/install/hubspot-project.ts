import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppManifest } from './manifest';

/**
 * Generates the HubSpot developer project (platform 2026.09, reference §5b) from
 * app-manifest.json: hsproject.json, src/app/app-hsmeta.json, the webhooks and card
 * *-hsmeta.json files and placeholder card components. The output is committed; a
 * test regenerates it and fails on any difference, so the two cannot drift.
 */
export const HUBSPOT_PROJECT_DIR = 'hubspot-project';

export type ProjectFiles = Map<string, string>;

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function kebab(name: string): string {
  return name.replace(/_/g, '-');
}

function cardComponent(manifest: AppManifest, card: AppManifest['cards'][number], url: string): string {
  // A placeholder until the cards issue ships the real views; it already calls the
  // backend the way the real card will (hubspot.fetch, signed by HubSpot).
  return `// Generated from app-manifest.json by \`kpi-bridge hubspot-project\`: placeholder card.
import React, { useEffect, useState } from 'react';
import { hubspot, LoadingSpinner, Text } from '@hubspot/ui-extensions';

hubspot.extend(({ context }) => <${card.component} context={context} />);

const ${card.component} = ({ context }) => {
  const [state, setState] = useState({ loading: true, error: null, data: null });
  useEffect(() => {
    hubspot
      .fetch(${JSON.stringify(url)}, { method: 'GET', timeout: 10000 })
      .then((response) => response.json())
      .then((data) => setState({ loading: false, error: null, data }))
      .catch((error) => setState({ loading: false, error: String(error), data: null }));
  }, [context.crm.objectId]);
  if (state.loading) return <LoadingSpinner label=${JSON.stringify(`Loading ${manifest.name}`)} />;
  if (state.error) return <Text>${manifest.name} could not load its KPIs: {state.error}</Text>;
  return <Text>${card.description}</Text>;
};
`;
}

/** Every file of the project, keyed by its path relative to the project folder. */
export function renderHubSpotProject(manifest: AppManifest, backendBaseUrl: string): ProjectFiles {
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
          entrypoint: `/app/cards/${card.component}.jsx`,
          objectTypes: card.objectTypes,
        },
      }),
    );
    files.set(
      `src/app/cards/${card.component}.jsx`,
      cardComponent(manifest, card, `${base}${card.backendPath}`),
    );
  }
  files.set(
    'src/app/cards/package.json',
    json({
      name: `${kebab(manifest.uid)}-cards`,
      version: '0.1.0',
      private: true,
      dependencies: { '@hubspot/ui-extensions': '0.17.0', react: '18.3.1' },
    }),
  );
  files.set(
    'README.md',
    `# ${manifest.name}: HubSpot developer project\n\nGenerated from \`app-manifest.json\` by \`npx kpi-bridge hubspot-project\`; do not edit by hand\n(a test fails when these files differ from what the generator writes). Upload with\n\`hs project upload\` from this folder. Backend: ${base}\n`,
  );
  return files;
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
  for (const rel of await listFiles(dir)) if (!files.has(rel)) problems.push(`not generated ${rel}`);
  return problems;
}

/** Writes the project, removing files the manifest no longer produces. */
export async function writeHubSpotProject(dir: string, files: ProjectFiles): Promise<void> {
  for (const rel of await listFiles(dir)) if (!files.has(rel)) await rm(path.join(dir, rel));
  for (const [rel, content] of files) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
}
