import { serve } from '../lifecycle';
import type { Command } from './command';
import { parseCommandArgs } from './command';

export const allCommand: Command = {
  name: 'all',
  summary: 'run the API and the workers in one process (single-machine install)',
  usage: 'kpi-bridge all',
  needs: ['db', 'redis', 'http', 'hubspot', 'tokens'],
  serves: true,
  async run(args, rt) {
    parseCommandArgs(args, {});
    await serve(await rt.context(), { api: true, worker: true });
    return 0;
  },
};
