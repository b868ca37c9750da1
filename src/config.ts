import { z } from 'zod';

/**
 * The whole configuration, parsed once from the environment by the entry points
 * (src/main/*) and passed down. Everything else receives `Config` or a slice of it.
 * Secrets have no defaults: a missing one stops the process.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL (${protocols.join(' or ')})`,
  );

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),

  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_BASE_URL: url(['http:', 'https:']).default('http://localhost:3000'),
  HTTP_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'like 1mb or 512kb')
    .default('1mb'),
  TRUST_PROXY: bool.default(false),

  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/kpi_bridge'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case Postgres identifier')
    .optional(),

  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().min(1).default('{kpi-bridge}'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(25_000),
  // How long a command waits at start for Postgres and Redis before it gives up and says which is down.
  STARTUP_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),

  HUBSPOT_CLIENT_ID: z.string().min(1),
  HUBSPOT_CLIENT_SECRET: z.string().min(1),
  HUBSPOT_APP_ID: z.coerce.number().int().positive(),
  HUBSPOT_API_BASE_URL: url(['http:', 'https:']).default('https://api.hubapi.com'),
  HUBSPOT_AUTH_BASE_URL: url(['http:', 'https:']).default('https://app.hubspot.com'),
  TOKEN_ENCRYPTION_KEYS: z.string().min(1).transform(parseEncryptionKeys),
  UNINSTALL_GRACE_DAYS: z.coerce.number().int().min(0).max(3650).default(30),

  // Bearer token for /admin endpoints (sync status); unset: the admin endpoints answer 404.
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SYNC_CATCHUP_INTERVAL_MS: z.coerce.number().int().min(10_000).default(900_000),
  // How often a worker checks that Redis still holds its jobs and schedules (and restores them).
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
});

/** One key of the token vault: `id` is stored beside each ciphertext, so keys can rotate. */
export type EncryptionKeySpec = Readonly<{ id: string; keyBase64: string }>;

/**
 * `k2:<base64 of 32 bytes>,k1:<base64>`: the first key encrypts, every key decrypts.
 * Messages name the position of a bad entry, never its value.
 */
function parseEncryptionKeys(raw: string, ctx: z.RefinementCtx): EncryptionKeySpec[] {
  const keys: EncryptionKeySpec[] = [];
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .forEach((entry, i) => {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon) : '';
      const keyBase64 = entry.slice(colon + 1);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1} must look like <id>:<base64 key> (id: letters, digits, - or _)`,
        });
        return;
      }
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64) || Buffer.from(keyBase64, 'base64').length !== 32) {
        ctx.addIssue({
          code: 'custom',
          message: `key ${id} must be 32 bytes in base64 (openssl rand -base64 32)`,
        });
        return;
      }
      if (keys.some((k) => k.id === id)) {
        ctx.addIssue({ code: 'custom', message: `key id ${id} is listed twice` });
        return;
      }
      keys.push({ id, keyBase64 });
    });
  if (keys.length === 0 && raw.trim().replace(/,/g, '') === '')
    ctx.addIssue({ code: 'custom', message: 'needs at least one key' });
  return keys;
}

export type Env = z.input<typeof envSchema>;

/**
 * The parts of the configuration a command can ask for. A command validates only the
 * sections it declares: `migrate` runs without the HubSpot secrets.
 */
export const CONFIG_SECTIONS = {
  db: ['DATABASE_URL', 'DATABASE_POOL_MAX', 'DATABASE_SCHEMA'],
  redis: [
    'REDIS_URL',
    'QUEUE_PREFIX',
    'WORKER_CONCURRENCY',
    'SYNC_CATCHUP_INTERVAL_MS',
    'UNINSTALL_GRACE_DAYS',
    'RECONCILE_INTERVAL_MS',
  ],
  http: ['HTTP_HOST', 'PORT', 'PUBLIC_BASE_URL', 'HTTP_BODY_LIMIT', 'TRUST_PROXY', 'ADMIN_TOKEN'],
  hubspot: [
    'HUBSPOT_CLIENT_ID',
    'HUBSPOT_CLIENT_SECRET',
    'HUBSPOT_APP_ID',
    'HUBSPOT_API_BASE_URL',
    'HUBSPOT_AUTH_BASE_URL',
  ],
  tokens: ['TOKEN_ENCRYPTION_KEYS'],
} as const satisfies Record<string, readonly (keyof typeof envSchema.shape)[]>;

export type ConfigSection = keyof typeof CONFIG_SECTIONS;
export const ALL_SECTIONS = Object.keys(CONFIG_SECTIONS) as ConfigSection[];

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  log: Readonly<{ level: string; format: 'json' | 'pretty' }>;
  http: Readonly<{
    host: string;
    port: number;
    publicBaseUrl: string;
    bodyLimit: string;
    trustProxy: boolean;
  }>;
  db: Readonly<{ url: string; poolMax: number; schema: string | undefined }>;
  redis: Readonly<{ url: string }>;
  queue: Readonly<{ prefix: string; concurrency: number; reconcileEveryMs: number }>;
  shutdownTimeoutMs: number;
  hubspot: Readonly<{
    clientId: string;
    clientSecret: string;
    appId: number;
    apiBaseUrl: string;
    authBaseUrl: string;
  }>;
  /** Newest first: the first key encrypts. */
  tokenEncryptionKeys: readonly EncryptionKeySpec[];
  uninstallGraceDays: number;
  admin: Readonly<{ token: string | undefined }>;
  sync: Readonly<{ catchupEveryMs: number }>;
  startupWaitMs: number;
}>;

export class ConfigError extends Error {
  constructor(
    readonly keys: readonly string[],
    details: readonly string[],
  ) {
    super(`Invalid configuration: ${details.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment into a frozen Config. Error messages name keys, never values.
 * Only the keys of `sections` (and the always-needed logging/runtime keys) must be valid;
 * a key of another section that is missing or invalid reads as a ConfigError when some
 * code touches it, so a command that declared too little fails loudly, not with a default.
 */
export function parseConfig(
  env: Record<string, string | undefined> = process.env,
  sections: readonly ConfigSection[] = ALL_SECTIONS,
): Config {
  // An empty variable means "not set", as in most .env conventions.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  const byKey = new Map<string, string>();
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '(root)');
      // zod messages for enums/regex quote the expectation, never the received value.
      const why = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
      if (!byKey.has(key)) byKey.set(key, `${key} ${why}`);
    }
  }
  const unchecked = new Set<string>(
    ALL_SECTIONS.filter((s) => !sections.includes(s)).flatMap((s) => CONFIG_SECTIONS[s]),
  );
  const fatal = [...byKey.keys()].filter((k) => !unchecked.has(k));
  if (fatal.length > 0)
    throw new ConfigError(
      fatal,
      fatal.map((k) => byKey.get(k)!),
    );
  // Every failing key is in an unchecked section: parse again without them (a key with a
  // default gets it, a required one is left undefined), then make each a getter that throws.
  const e = result.success
    ? result.data
    : envSchema
        .extend(
          Object.fromEntries(
            [...byKey.keys()].map((k) => [k, (envSchema.shape[k as EnvKey] as z.ZodType).catch(undefined)]),
          ),
        )
        .parse(Object.fromEntries(Object.entries(cleaned).filter(([k]) => !byKey.has(k))));
  const config = buildConfig(e as z.output<typeof envSchema>);
  for (const [key, message] of byKey) {
    const [section, field] = FIELD_OF_KEY[key as SectionKey];
    const holder = (section ? config[section] : config) as Record<string, unknown>;
    Object.defineProperty(holder, field, {
      enumerable: true,
      get() {
        throw new ConfigError([key], [`${message} (this command did not ask for it)`]);
      },
    });
  }
  return deepFreeze(config);
}

type EnvKey = keyof typeof envSchema.shape;
type SectionKey = (typeof CONFIG_SECTIONS)[ConfigSection][number];

/** Where each sectioned variable lands in Config (null: top level). */
const FIELD_OF_KEY: Record<SectionKey, readonly [keyof Config | null, string]> = {
  DATABASE_URL: ['db', 'url'],
  DATABASE_POOL_MAX: ['db', 'poolMax'],
  DATABASE_SCHEMA: ['db', 'schema'],
  REDIS_URL: ['redis', 'url'],
  QUEUE_PREFIX: ['queue', 'prefix'],
  WORKER_CONCURRENCY: ['queue', 'concurrency'],
  SYNC_CATCHUP_INTERVAL_MS: ['sync', 'catchupEveryMs'],
  RECONCILE_INTERVAL_MS: ['queue', 'reconcileEveryMs'],
  UNINSTALL_GRACE_DAYS: [null, 'uninstallGraceDays'],
  HTTP_HOST: ['http', 'host'],
  PORT: ['http', 'port'],
  PUBLIC_BASE_URL: ['http', 'publicBaseUrl'],
  HTTP_BODY_LIMIT: ['http', 'bodyLimit'],
  TRUST_PROXY: ['http', 'trustProxy'],
  ADMIN_TOKEN: ['admin', 'token'],
  HUBSPOT_CLIENT_ID: ['hubspot', 'clientId'],
  HUBSPOT_CLIENT_SECRET: ['hubspot', 'clientSecret'],
  HUBSPOT_APP_ID: ['hubspot', 'appId'],
  HUBSPOT_API_BASE_URL: ['hubspot', 'apiBaseUrl'],
  HUBSPOT_AUTH_BASE_URL: ['hubspot', 'authBaseUrl'],
  TOKEN_ENCRYPTION_KEYS: [null, 'tokenEncryptionKeys'],
};

function buildConfig(e: z.output<typeof envSchema>): Config {
  return {
    env: e.NODE_ENV,
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT ?? (e.NODE_ENV === 'development' ? 'pretty' : 'json') },
    http: {
      host: e.HTTP_HOST,
      port: e.PORT,
      publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
      bodyLimit: e.HTTP_BODY_LIMIT,
      trustProxy: e.TRUST_PROXY,
    },
    db: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, schema: e.DATABASE_SCHEMA },
    redis: { url: e.REDIS_URL },
    queue: {
      prefix: e.QUEUE_PREFIX,
      concurrency: e.WORKER_CONCURRENCY,
      reconcileEveryMs: e.RECONCILE_INTERVAL_MS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    hubspot: {
      clientId: e.HUBSPOT_CLIENT_ID,
      clientSecret: e.HUBSPOT_CLIENT_SECRET,
      appId: e.HUBSPOT_APP_ID,
      apiBaseUrl: e.HUBSPOT_API_BASE_URL.replace(/\/+$/, ''),
      authBaseUrl: e.HUBSPOT_AUTH_BASE_URL.replace(/\/+$/, ''),
    },
    tokenEncryptionKeys: e.TOKEN_ENCRYPTION_KEYS,
    uninstallGraceDays: e.UNINSTALL_GRACE_DAYS,
    admin: { token: e.ADMIN_TOKEN },
    sync: { catchupEveryMs: e.SYNC_CATCHUP_INTERVAL_MS },
    startupWaitMs: e.STARTUP_WAIT_MS,
  };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    // Getters (the unchecked keys above) are left alone: reading them is what throws.
    for (const d of Object.values(Object.getOwnPropertyDescriptors(o))) if ('value' in d) deepFreeze(d.value);
    Object.freeze(o);
  }
  return o;
}
