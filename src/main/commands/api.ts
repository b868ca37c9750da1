import { serve } from '../lifecycle';
import type { Command } from './command';
import { parseCommandArgs } from './command';

export const apiCommand: Command = {
  name: 'api',
  summary: 'serve the HTTP API (OAuth, webhooks, admin, health)',
  usage: 'kpi-bridge api',
  needs: ['db', 'redis', 'http', 'hubspot', 'tokens'],
  serves: true,
  async run(args, rt) {
    parseCommandArgs(args, {});
    await serve(await rt.context(), { api: true, worker: false });
    return 0;
  },
};
