import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { envSchema, parseConfig } from '../../src/config';

/**
 * There is no Docker engine on our machines, so docker-compose.yml and .env.example are
 * kept right by reading them against the config schema.
 */
const root = path.resolve(__dirname, '../..');
type Service = {
  image?: string;
  build?: string | { context: string; target?: string };
  init?: boolean;
  profiles?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  depends_on?: Record<string, { condition: string }>;
};
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const configKeys = Object.keys(envSchema.shape);
const appServices = ['migrate', 'api', 'worker'] as const;

/** What the app container would see: compose's `${VAR:-default}` resolved to its default. */
function resolvedEnvironment(service: Service): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [
      k,
      // `${KEY:?message}` means "required from .env": the example file stands in for it.
      String(v)
        .replace(/\$\{([A-Z_]+):\?[^}]*\}/g, (_m, key: string) => exampleValue(key))
        .replace(/\$\{[A-Z_]+(?::-([^}]*))?\}/g, (_m, def: string | undefined) => def ?? ''),
    ]),
  );
}

describe('docker-compose.yml', () => {
  it('runs postgres 16, redis 7 with noeviction and append-only, and the three app services', () => {
    expect(compose.services.postgres?.image).toBe('postgres:16');
    expect(compose.services.redis?.image).toBe('redis:7');
    const redisCommand = (compose.services.redis?.command ?? []).join(' ');
    expect(redisCommand).toContain('--maxmemory-policy noeviction');
    expect(redisCommand).toContain('--appendonly yes');
    expect(compose.services.migrate?.command).toEqual(['migrate']);
    expect(compose.services.api?.command).toEqual(['api']);
    expect(compose.services.worker?.command).toEqual(['worker']);
    for (const name of ['api', 'worker']) {
      expect(compose.services[name]?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    }
  });

  it('builds one image for migrate, api and worker, each run under an init process', () => {
    const images = appServices.map((name) => compose.services[name]?.image);
    expect(new Set(images).size).toBe(1);
    expect(images[0]).toMatch(/^kpi-bridge:/);
    const builds = appServices.filter((name) => compose.services[name]?.build !== undefined);
    expect(builds).toEqual(['migrate']);
    for (const name of appServices) expect(compose.services[name]?.init).toBe(true);
  });

  it('checks the worker health and binds the API where the README says (localhost:3000)', () => {
    expect(compose.services.worker?.healthcheck?.test.join(' ')).toContain('healthcheck --worker');
    expect(compose.services.api?.ports).toEqual(['127.0.0.1:${PORT:-3000}:3000']);
  });

  it('runs the demo only under the demo profile, from the image target that has the simulator', () => {
    const demo = compose.services.demo!;
    expect(demo.profiles).toEqual(['demo']);
    expect(demo.build).toEqual({ context: '.', target: 'demo' });
    expect(new URL(String(demo.environment?.DATABASE_URL).replace(/\$\{[^}]*\}/g, 'x')).hostname).toBe(
      'postgres',
    );
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/AS demo/);
    // The runtime stage is last (the default target) and leaves the simulator out.
    expect(
      dockerfile
        .trimEnd()
        .split(/^FROM /m)
        .pop(),
    ).toMatch(/AS runtime/);
    expect(dockerfile).toMatch(/rm -rf \/out\/runtime\/dist\/src\/simulator/);
  });

  it.each(appServices)(
    'gives %s every required key, only keys the config knows, forming a valid config',
    (name) => {
      const env = resolvedEnvironment(compose.services[name]!);
      const unknown = Object.keys(env).filter((k) => !configKeys.includes(k));
      expect(unknown).toEqual([]);
      const required = Object.entries(envSchema.shape)
        .filter(([, schema]) => !schema.safeParse(undefined).success)
        .map(([k]) => k);
      expect(required.filter((k) => !(k in env))).toEqual([]);
      expect(() => parseConfig(env)).not.toThrow();
    },
  );

  it('points the app services at the compose postgres and redis', () => {
    for (const name of appServices) {
      const env = resolvedEnvironment(compose.services[name]!);
      expect(new URL(env.DATABASE_URL!).hostname).toBe('postgres');
      expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
    }
  });
});

function exampleValue(key: string): string {
  return readEnvExample()[key] ?? '';
}

function readEnvExample(): Record<string, string> {
  const text = readFileSync(path.join(root, '.env.example'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('.env.example', () => {
  it('documents every config key and nothing else', () => {
    expect(Object.keys(readEnvExample()).sort()).toEqual([...configKeys].sort());
  });

  it('is a valid configuration as it stands', () => {
    expect(() => parseConfig(readEnvExample())).not.toThrow();
  });
});
