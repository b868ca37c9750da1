import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkHeartbeat } from '../../../src/platform/queue/heartbeat';
import { spawnCli } from '../../helpers/cli-process';
import {
  createTestSchema,
  deleteQueueKeys,
  TEST_DATABASE_URL,
  TEST_HUBSPOT_ENV,
  TEST_REDIS_URL,
  uniqueName,
} from '../../helpers/test-context';

/**
 * `kpi-bridge worker` as a container runs it: it starts on a migrated database with Redis up
 * (its recurring schedules go through the fail-fast producer connection, which must be
 * connected first), beats its heartbeat so `healthcheck --worker` passes, and stops cleanly
 * on SIGTERM.
 */
describe('the worker process', () => {
  let schema: { schema: string; drop(): Promise<void> };
  let dir: string;
  const prefix = `{${uniqueName('wp')}}`;
  beforeAll(async () => {
    schema = await createTestSchema();
    dir = await mkdtemp(path.join(tmpdir(), 'worker-process-'));
  });
  afterAll(async () => {
    await schema.drop();
    await deleteQueueKeys(prefix);
    await rm(dir, { recursive: true, force: true });
  });

  it('starts, is healthy by its heartbeat, and exits 0 on SIGTERM', async () => {
    const file = path.join(dir, 'beat.json');
    const worker = spawnCli(['worker'], {
      ...TEST_HUBSPOT_ENV,
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema.schema,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      KPI_BRIDGE_HEARTBEAT_FILE: file,
      LOG_LEVEL: 'info',
    });
    try {
      await worker.waitFor(/worker started/, 60_000);
      const deadline = Date.now() + 30_000;
      let check = await checkHeartbeat({ file });
      while (!check.healthy && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        check = await checkHeartbeat({ file });
      }
      expect(check).toMatchObject({ healthy: true });
    } finally {
      worker.child.kill('SIGTERM');
    }
    const { code } = await worker.exited;
    expect(worker.stderr()).not.toMatch(/Stream isn't writeable/);
    expect(code).toBe(0);
  }, 120_000);
});
