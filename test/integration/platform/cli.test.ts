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

  it('lists its commands with --help', async () => {
    expect(await main(['--help'])).toBe(0);
    for (const name of ['api', 'worker', 'migrate', 'simulator', 'attribution'])
      expect(stdout).toMatch(new RegExp(`\\n  ${name} `));
  });

  it('rejects an unknown command with usage', async () => {
    expect(await main(['frobnicate'])).toBe(2);
    expect(stderr).toContain("unknown command 'frobnicate'");
  });

  it('stops on bad configuration naming every bad key and no value', async () => {
    process.env.DATABASE_URL = 'mysql://user:hunter2@db/x';
    process.env.PORT = 'ninety';
    expect(await main(['api'])).toBe(78);
    expect(stderr).toMatch(/DATABASE_URL/);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).not.toMatch(/hunter2|ninety|mysql/);
  });
});
