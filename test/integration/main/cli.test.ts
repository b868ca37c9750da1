import { main } from '../../../src/main/cli';

/** The CLI as a user meets it: exit codes and messages, in-process. */
describe('kpi-bridge cli', () => {
  let stderr: string;
  let stdout: string;
  const savedEnv = { ...process.env };

  beforeEach(() => {
    stderr = '';
    stdout = '';
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...savedEnv };
  });

  it('lists its commands with --help, once, and advertises nothing that does not exist', async () => {
    expect(await main(['--help'])).toBe(0);
    for (const name of ['api', 'worker', 'migrate', 'simulator', 'attribution', 'kpi', 'sync', 'status'])
      expect(stdout).toMatch(new RegExp(`\\n  ${name} `));
    expect(stdout.match(/Usage: kpi-bridge/g)).toHaveLength(1);
    // Every command the help lists exists (answers its own --help), so nothing is advertised
    // before it is built.
    const listed = [...stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]!);
    expect(listed.length).toBeGreaterThanOrEqual(10);
    for (const name of listed) {
      stdout = '';
      expect({ name, code: await main([name, '--help']) }).toEqual({ name, code: 0 });
      expect(stdout).toContain(`Usage: kpi-bridge ${name}`);
    }
  });

  it('prints its version', async () => {
    expect(await main(['--version'])).toBe(0);
    expect(stdout).toMatch(/^kpi-bridge \d+\.\d+\.\d+\n$/);
  });

  it("prints a command's usage once for --help, without running it", async () => {
    for (const name of ['demo', 'simulator', 'attribution', 'kpi', 'purge', 'hubspot-project', 'migrate']) {
      stdout = '';
      expect(await main([name, '--help'])).toBe(0);
      expect(stdout.match(/Usage: /g)).toHaveLength(1);
      expect(stdout).toContain(`Usage: kpi-bridge ${name}`);
    }
  });

  it('rejects an unknown command, and no command at all, with exit 2', async () => {
    expect(await main(['frobnicate'])).toBe(2);
    expect(stderr).toContain("unknown command 'frobnicate'");
    expect(await main([])).toBe(2);
  });

  it.each([
    ['kpi', ['--portal', 'x']],
    ['kpi', []],
    ['sync', ['--bogus']],
    ['status', ['--portal', '-3']],
    ['purge', []],
    ['migrate', ['extra']],
    ['simulator', ['--contacts', 'many']],
    ['hubspot-project', ['--base-url', 'http://insecure.example']],
    ['demo', ['--frobnicate']],
    ['attribution', ['--models', 'nonsense']],
  ])(
    'a bad command line of %s exits 2 and shows the usage, before touching any service',
    async (name, args) => {
      // Services that do not exist: a command that tried to connect would fail differently.
      process.env.DATABASE_URL = 'postgres://127.0.0.1:1/none';
      process.env.REDIS_URL = 'redis://127.0.0.1:1';
      expect(await main([name, ...args])).toBe(2);
      expect(stderr).toMatch(/Usage: /);
    },
  );

  it('stops on bad configuration naming every bad key and no value', async () => {
    process.env.DATABASE_URL = 'mysql://user:hunter2@db/x';
    process.env.PORT = 'ninety';
    expect(await main(['api'])).toBe(78);
    expect(stderr).toMatch(/DATABASE_URL/);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).not.toMatch(/hunter2|ninety|mysql/);
  });
});
