import { checkServices } from '../lifecycle';
import { runMigrations } from '../migrate';
import type { Command } from './command';
import { parseCommandArgs } from './command';

export const migrateCommand: Command = {
  name: 'migrate',
  summary:
    'apply all pending database migrations, creating the database if missing (--down reverts the latest one)',
  usage: 'kpi-bridge migrate [--down]',
  needs: ['db'],
  async run(args, rt) {
    const { values } = parseCommandArgs(args, { down: { type: 'boolean', default: false } });
    const config = rt.config();
    // No context: the database may not exist yet, and creating it is this command's job.
    await checkServices(config, { postgres: true, redis: false, allowMissingDatabase: true });
    await runMigrations(config, rt.logger(), values.down ? 'down' : 'up');
    return 0;
  },
};
