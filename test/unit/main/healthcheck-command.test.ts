import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../src/main/cli';

describe('kpi-bridge healthcheck --worker', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'healthcheck-'));
    file = path.join(dir, 'beat.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await main(['healthcheck', ...args], {
      stdout,
      stderr,
      env: { KPI_BRIDGE_SKIP_DOTENV: '1', KPI_BRIDGE_HEARTBEAT_FILE: file },
    });
    return { code, out, err };
  }

  it('exits 0 on a fresh heartbeat and 1 on a stale or missing one, needing no configuration', async () => {
    expect((await run(['--worker'])).code).toBe(1);
    await writeFile(file, JSON.stringify({ pid: 1, at: new Date().toISOString() }));
    const fresh = await run(['--worker']);
    expect(fresh.code).toBe(0);
    expect(fresh.out).toMatch(/worker heartbeat \d+ s ago/);
    await writeFile(file, JSON.stringify({ pid: 1, at: new Date(Date.now() - 120_000).toISOString() }));
    const stale = await run(['--worker', '--max-age-seconds', '60']);
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/is 12\d s old \(limit 60 s\)/);
  });

  it('is a usage error (exit 2) without --worker or with a bad age', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--worker', '--max-age-seconds', 'soon'])).code).toBe(2);
  });
});
