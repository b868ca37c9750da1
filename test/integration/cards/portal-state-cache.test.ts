import { createDb } from '../../../src/db';
import type { Database } from '../../../src/db';
import { createPortalStateCache } from '../../../src/cards/portal-state';
import { createTestSchema, TEST_DATABASE_URL } from '../../helpers/test-context';

describe("the cards' portal state cache", () => {
  let db: Database;
  let drop: () => Promise<void>;
  const portalId = 7001;

  beforeAll(async () => {
    const schema = await createTestSchema();
    drop = schema.drop;
    db = createDb({ url: TEST_DATABASE_URL, poolMax: 2, schema: schema.schema });
    await db
      .insertInto('portals')
      .values({ portal_id: portalId, status: 'installed', installed_at: new Date(), time_zone: 'UTC' })
      .execute();
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  const setStatus = (status: 'installed' | 'uninstalled') =>
    db.updateTable('portals').set({ status }).where('portal_id', '=', portalId).execute();

  it('re-reads the state once its entry has expired, not before, without holding the request', async () => {
    let clock = 0;
    const cache = createPortalStateCache(db, { ttlMs: 1_000, now: () => clock });
    expect((await cache.get(portalId)).installed).toBe(true);
    await setStatus('uninstalled');
    clock = 500; // within the ttl: the cached state
    expect((await cache.get(portalId)).installed).toBe(true);
    clock = 1_500; // expired: answered from the state it has, while one re-read starts
    expect((await cache.get(portalId)).installed).toBe(true);
    // The re-read lands in the background; later requests see it.
    let fresh = true;
    for (let i = 0; i < 100 && fresh; i++) {
      await new Promise((r) => setTimeout(r, 10));
      fresh = (await cache.get(portalId)).installed;
    }
    expect(fresh).toBe(false);
    await setStatus('installed');
  });

  it('a state older than maxStaleMs is never served: the request waits for a fresh read', async () => {
    let clock = 0;
    const cache = createPortalStateCache(db, { ttlMs: 1_000, maxStaleMs: 5_000, now: () => clock });
    expect((await cache.get(portalId)).installed).toBe(true);
    await setStatus('uninstalled');
    clock = 6_000;
    expect((await cache.get(portalId)).installed).toBe(false);
    await setStatus('installed');
  });

  it('after invalidate (a settings change) the next request waits for fresh state', async () => {
    const clock = 0;
    const cache = createPortalStateCache(db, { ttlMs: 60_000, now: () => clock });
    expect((await cache.get(portalId)).installed).toBe(true);
    await setStatus('uninstalled');
    expect((await cache.get(portalId)).installed).toBe(true);
    cache.invalidate(portalId);
    expect((await cache.get(portalId)).installed).toBe(false);
    await setStatus('installed');
  });
});
