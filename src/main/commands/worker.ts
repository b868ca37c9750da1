import { serve } from '../lifecycle';
import type { Command } from './command';
import { parseCommandArgs } from './command';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run the job workers (sync, KPI, write-back)',
  usage: 'kpi-bridge worker',
  needs: ['db', 'redis', 'hubspot', 'tokens'],
  serves: true,
  async run(args, rt) {
    parseCommandArgs(args, {});
    await serve(await rt.context(), { api: false, worker: true });
    return 0;
  },
};
