import { DEMO_USAGE, runDemoCommand } from '../demo';
import type { Command } from './command';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'see it work: a simulated HubSpot portal, the API and the worker (--once: run through and exit)',
  usage: DEMO_USAGE,
  // The demo makes its own configuration (the simulator's app, demo-only keys) from the environment.
  needs: [],
  serves: true,
  run: (args, rt) => runDemoCommand(args, rt.io),
};
