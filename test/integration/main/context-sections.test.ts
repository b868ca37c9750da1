import { parseConfig } from '../../../src/config';
import { createContext } from '../../../src/context';
import { silentLogger, TEST_DATABASE_URL } from '../../helpers/test-context';

/**
 * `status`, `kpi`, `purge` and `migrate` build the composition root from a configuration without
 * the HubSpot secrets (they did not ask for that section). Any service that reads a secret
 * while being built, instead of when used, breaks those commands: this catches it in-process.
 */
test('the composition root builds, and closes, without the HubSpot and token settings', async () => {
  const config = parseConfig(
    { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent' },
    ['db', 'redis'],
  );
  expect(() => config.hubspot.clientSecret).toThrow(/HUBSPOT_CLIENT_SECRET/);
  const ctx = createContext(config, silentLogger());
  await ctx.close();
});
