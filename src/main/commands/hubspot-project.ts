import path from 'node:path';
import {
  diffHubSpotProject,
  HUBSPOT_PROJECT_DIR,
  renderHubSpotProject,
  writeHubSpotProject,
} from '../../install/hubspot-project';
import { findManifestPath, loadManifest } from '../../install/manifest';
import type { Command, CommandIo } from './command';
import { parseCommandArgs, UsageError } from './command';

export const HUBSPOT_PROJECT_USAGE = `kpi-bridge hubspot-project [--base-url https://…] [--out DIR] [--check]
  Generates the HubSpot developer project (${HUBSPOT_PROJECT_DIR}/) from app-manifest.json.
  The backend URL comes from --base-url, else PUBLIC_BASE_URL when it is https, else the
  manifest's backend.defaultBaseUrl. --check writes nothing and exits 1 when the files differ.`;

export const hubspotProjectCommand: Command = {
  name: 'hubspot-project',
  summary:
    'generate the HubSpot developer project (hubspot-project/) from app-manifest.json (--check: verify only)',
  usage: HUBSPOT_PROJECT_USAGE,
  needs: [],
  run: (args, rt) => runHubSpotProjectCommand(args, rt.io),
};

async function runHubSpotProjectCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    'base-url': { type: 'string' },
    out: { type: 'string' },
    check: { type: 'boolean', default: false },
  });
  const manifestPath = findManifestPath();
  const manifest = loadManifest(manifestPath);
  // HubSpot only fetches https URLs (no localhost), so a dev PUBLIC_BASE_URL is not used.
  const fromEnv = io.env.PUBLIC_BASE_URL?.startsWith('https://') ? io.env.PUBLIC_BASE_URL : undefined;
  const baseUrl = values['base-url'] ?? fromEnv ?? manifest.backend.defaultBaseUrl;
  if (!/^https:\/\/[^/]+/.test(baseUrl)) throw new UsageError('--base-url must be an https URL');
  const out = path.resolve(values.out ?? path.join(path.dirname(manifestPath), HUBSPOT_PROJECT_DIR));
  const files = renderHubSpotProject(manifest, baseUrl);
  if (values.check) {
    const problems = await diffHubSpotProject(out, files);
    for (const p of problems) io.stderr.write(`${p}\n`);
    io.stdout.write(
      problems.length === 0
        ? `${out} matches app-manifest.json\n`
        : `${out} is out of date: run kpi-bridge hubspot-project\n`,
    );
    return problems.length === 0 ? 0 : 1;
  }
  await writeHubSpotProject(out, files);
  io.stdout.write(`wrote ${files.size} files to ${out} (backend ${baseUrl})\n`);
  return 0;
}
