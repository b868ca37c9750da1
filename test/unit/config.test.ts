import { ConfigError, parseConfig } from '../../src/config';

describe('parseConfig', () => {
  it('uses local defaults when nothing is set', () => {
    const config = parseConfig({});
    expect(config.db.url).toBe('postgres://postgres@127.0.0.1:5432/kpi_bridge');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.http.port).toBe(3000);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.db)).toBe(true);
  });

  it('names every bad key and never echoes a value', () => {
    const secretish = 'postgres-but-not-a-url-s3cr3t';
    let caught: unknown;
    try {
      parseConfig({ DATABASE_URL: secretish, PORT: 'eighty', LOG_LEVEL: 'loud' });
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

  it('treats empty variables as unset', () => {
    expect(parseConfig({ PORT: '' }).http.port).toBe(3000);
  });
});
