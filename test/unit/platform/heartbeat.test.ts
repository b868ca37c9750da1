import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkHeartbeat, startHeartbeat } from '../../../src/platform/queue/heartbeat';

describe('worker heartbeat', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'heartbeat-'));
    file = path.join(dir, 'beat.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is healthy while the probe passes and the beat is fresh', async () => {
    const hb = startHeartbeat({ file, probe: () => Promise.resolve(), everyMs: 60_000 });
    try {
      await hb.beat();
      const check = await checkHeartbeat({ file });
      expect(check.healthy).toBe(true);
      expect(check.message).toMatch(/^worker heartbeat \d+ s ago$/);
    } finally {
      hb.stop();
    }
  });

  it('does not beat while the probe fails (Postgres or Redis down), so the beat ages out', async () => {
    let t = new Date('2026-11-30T10:00:00Z');
    let up = true;
    const hb = startHeartbeat({
      file,
      everyMs: 60_000,
      now: () => t,
      probe: () => (up ? Promise.resolve() : Promise.reject(new Error('down'))),
    });
    try {
      expect(await hb.beat()).toBe(true);
      up = false;
      t = new Date('2026-11-30T10:01:00Z');
      expect(await hb.beat()).toBe(false);
      const check = await checkHeartbeat({ file, maxAgeMs: 45_000, now: () => t });
      expect(check).toEqual({ healthy: false, message: 'worker heartbeat is 60 s old (limit 45 s)' });
    } finally {
      hb.stop();
    }
  });

  it('is unhealthy without a heartbeat file or with a corrupt one', async () => {
    expect((await checkHeartbeat({ file })).healthy).toBe(false);
    await writeFile(file, '{"at": "not a date"}');
    const corrupt = await checkHeartbeat({ file });
    expect(corrupt.healthy).toBe(false);
    expect(corrupt.message).toContain('unreadable');
  });
});
