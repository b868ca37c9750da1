import type { Command } from './command';
import { parseCommandArgs } from './command';

export const rotateKeyCommand: Command = {
  name: 'rotate-key',
  summary: 're-encrypt every stored OAuth token under the newest key of TOKEN_ENCRYPTION_KEYS',
  usage: 'kpi-bridge rotate-key',
  needs: ['db', 'tokens'],
  async run(args, rt) {
    parseCommandArgs(args, {});
    const ctx = await rt.context();
    const result = await ctx.tokens.rotateKeys();
    rt.io.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  },
};
