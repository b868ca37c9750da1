import { ConfigError, parseConfig } from '../../src/config';

const KEY_A = Buffer.alloc(32, 7).toString('base64');
const KEY_B = Buffer.alloc(32, 9).toString('base64');
/** The secrets have no defaults; everything else does. */
const SECRETS = {
  HUBSPOT_CLIENT_ID: 'cid',
  HUBSPOT_CLIENT_SECRET: 'csecret',
  HUBSPOT_APP_ID: '42',
  TOKEN_ENCRYPTION_KEYS: `k2:${KEY_A},k1:${KEY_B}`,
};

describe('parseConfig', () => {
  it('uses local defaults when only the secrets are set', () => {
    const config = parseConfig({ ...SECRETS });
    expect(config.db.url).toBe('postgres://postgres@127.0.0.1:5432/kpi_bridge');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.http.port).toBe(3000);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.db)).toBe(true);
    expect(config.hubspot).toEqual({
      clientId: 'cid',
      clientSecret: 'csecret',
      appId: 42,
      apiBaseUrl: 'https://api.hubapi.com',
      authBaseUrl: 'https://app.hubspot.com',
    });
    expect(config.tokenEncryptionKeys).toEqual([
      { id: 'k2', keyBase64: KEY_A },
      { id: 'k1', keyBase64: KEY_B },
    ]);
    expect(config.uninstallGraceDays).toBe(30);
  });

  it('requires the HubSpot secrets and the encryption keys, naming them', () => {
    let caught: unknown;
    try {
      parseConfig({});
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect([...(caught as ConfigError).keys].sort()).toEqual([
      'HUBSPOT_APP_ID',
      'HUBSPOT_CLIENT_ID',
      'HUBSPOT_CLIENT_SECRET',
      'TOKEN_ENCRYPTION_KEYS',
    ]);
  });

  it.each([
    ['a key that is not 32 bytes', `k1:${Buffer.alloc(16, 1).toString('base64')}`],
    ['an entry without an id', KEY_A],
    ['a repeated id', `k1:${KEY_A},k1:${KEY_B}`],
    ['no key at all', ' , '],
  ])('rejects TOKEN_ENCRYPTION_KEYS with %s without echoing it', (_why, value) => {
    let caught: unknown;
    try {
      parseConfig({ ...SECRETS, TOKEN_ENCRYPTION_KEYS: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).keys).toEqual(['TOKEN_ENCRYPTION_KEYS']);
    expect((caught as ConfigError).message).not.toContain(KEY_A.slice(0, 12));
  });

  it('names every bad key and never echoes a value', () => {
    const secretish = 'postgres-but-not-a-url-s3cr3t';
    let caught: unknown;
    try {
      parseConfig({ ...SECRETS, DATABASE_URL: secretish, PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect([...error.keys].sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    expect(error.message).not.toContain(secretish);
    expect(error.message).not.toContain('eighty');
    expect(error.message).not.toContain('loud');
  });

  it('reads the admin token and the catch-up interval (sync)', () => {
    expect(parseConfig({ ...SECRETS }).admin.token).toBeUndefined();
    expect(parseConfig({ ...SECRETS }).sync.catchupEveryMs).toBe(900_000);
    const config = parseConfig({
      ...SECRETS,
      ADMIN_TOKEN: 'a-long-enough-admin-token',
      SYNC_CATCHUP_INTERVAL_MS: '60000',
    });
    expect(config.admin.token).toBe('a-long-enough-admin-token');
    expect(config.sync.catchupEveryMs).toBe(60_000);
    expect(() => parseConfig({ ...SECRETS, ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN/);
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ ...SECRETS, PORT: '' }).http.port).toBe(3000);
  });

  describe('per command section', () => {
    it('validates only the sections asked for: migrate needs no HubSpot secrets', () => {
      const config = parseConfig({ DATABASE_URL: 'postgres://db.internal/x' }, ['db']);
      expect(config.db.url).toBe('postgres://db.internal/x');
      expect(config.hubspot.apiBaseUrl).toBe('https://api.hubapi.com');
      expect(Object.isFrozen(config.db)).toBe(true);
    });

    it('still names a missing or invalid key of a section it asked for', () => {
      expect(() => parseConfig({}, ['db', 'hubspot'])).toThrow(/HUBSPOT_CLIENT_ID is required/);
      expect(() => parseConfig({ DATABASE_URL: 'mysql://x' }, ['db'])).toThrow(/DATABASE_URL/);
    });

    it('makes a key of another section that is missing or invalid throw when read, never a default', () => {
      const config = parseConfig({ PORT: 'eighty' }, ['db']);
      const read = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          return err;
        }
        return undefined;
      };
      for (const [key, get] of [
        ['HUBSPOT_CLIENT_ID', () => config.hubspot.clientId],
        ['HUBSPOT_CLIENT_SECRET', () => config.hubspot.clientSecret],
        ['TOKEN_ENCRYPTION_KEYS', () => config.tokenEncryptionKeys],
        ['PORT', () => config.http.port],
      ] as const) {
        const err = read(get);
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).keys).toEqual([key]);
        expect((err as ConfigError).message).not.toContain('eighty');
      }
      // Valid keys of unchecked sections are there as usual.
      expect(config.http.host).toBe('127.0.0.1');
    });
  });
});
