import pino from 'pino';
import { createKpiService } from '../../../src/kpi/kpi.service';
import { loadManifest } from '../../../src/install/manifest';
import { createDb } from '../../../src/db';
import type { Database } from '../../../src/db';
import { runFullSync } from '../../../src/sync/full-sync';
import { createWritebackService } from '../../../src/writeback';
import type { WritebackService } from '../../../src/writeback';
import { createTestSchema, TEST_DATABASE_URL, uniqueName } from '../../helpers/test-context';
import { insertPortal, startSyncWorld } from '../sync/helpers';
import type { SyncWorld } from '../sync/helpers';

/**
 * A simulated portal synced and computed: the simulator, the real adapter with the Redis budget,
 * a fresh schema, one full sync and one KPI run; the write-back service on top.
 */
export const ANCHOR = '2026-11-01T00:00:00Z';

export type WritebackWorld = SyncWorld & {
  db: Database;
  portalId: number;
  appId: number;
  writeback: WritebackService;
  recompute(): Promise<void>;
  /** batch/update calls the simulator answered for the portal (optionally since a time). */
  batchCalls(objectType?: 'deals' | 'contacts', since?: number): { status: number; ids: string[] }[];
  cleanup(): Promise<void>;
};

export async function startWritebackWorld(
  options: {
    contacts?: number;
    deals?: number;
    pageRows?: number;
    concurrency?: number;
    searchConsistencyMs?: number;
  } = {},
): Promise<WritebackWorld> {
  const { schema, drop } = await createTestSchema();
  const db = createDb({ url: TEST_DATABASE_URL, poolMax: 4, schema });
  const world = await startSyncWorld({
    prefix: `{${uniqueName('wb')}}`,
    contacts: options.contacts ?? 240,
    deals: options.deals ?? 130,
    requestLog: { capacity: 50_000, bodyLimit: 2_000_000 },
    ...(options.searchConsistencyMs !== undefined
      ? { searchConsistencyMs: options.searchConsistencyMs }
      : {}),
  });
  const portalId = world.sim.portals[0]!;
  const logger = pino({ level: 'silent' });
  await insertPortal(db, portalId);
  await runFullSync({ db, hubspot: world.hubspot, logger }, portalId);
  const recompute = async () => {
    await createKpiService({ db, logger }).recompute(portalId, { now: Date.parse(ANCHOR) });
  };
  await recompute();
  const manifest = loadManifest();
  const writeback = createWritebackService({
    db,
    hubspot: world.hubspot,
    logger,
    properties: manifest.properties,
    propertyGroups: manifest.propertyGroups,
    ...(options.pageRows ? { pageRows: options.pageRows } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  return {
    ...world,
    db,
    portalId,
    appId: world.sim.app.appId,
    writeback,
    recompute,
    batchCalls(objectType, since) {
      return world.sim.requestLog
        .list({ portalId, method: 'POST', ...(since !== undefined ? { since } : {}) })
        .filter((e) => /\/batch\/update$/.test(e.path) && (!objectType || e.path.includes(`/${objectType}/`)))
        .map((e) => ({
          status: e.status,
          ids: (JSON.parse(e.body ?? '{"inputs":[]}') as { inputs: { id: string }[] }).inputs.map(
            (i) => i.id,
          ),
        }));
    },
    async cleanup() {
      await world.close();
      await db.destroy();
      await drop();
    },
  };
}
