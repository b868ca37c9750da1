import type * as DemoModule from '../demo';
import type { Command } from './command';
import { loadOptional } from './optional-module';

export const DEMO_USAGE = `kpi-bridge demo [--once] [--seed 42] [--contacts 2000] [--deals 400] [--port 3000] [--simulator-port 4010] [--schema kpi_bridge_demo] [--queue-prefix {kpi-bridge-demo}]
  Starts a simulated HubSpot portal, the API and the worker against the local Postgres and
  Redis (schema kpi_bridge_demo, queue prefix {kpi-bridge-demo}) and prints where each listens.
  --once runs the demo flow to its end and prints a one-line JSON summary as its last line.`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'see it work: a simulated HubSpot portal, the API and the worker (--once: run through and exit)',
  usage: DEMO_USAGE,
  // The demo makes its own configuration (the simulator's app, demo-only keys) from the environment.
  needs: [],
  serves: true,
  run: async (args, rt) => {
    // Loaded on use: the production image leaves the simulator (and so the demo) out.
    const { runDemoCommand } = loadOptional(
      'the demo',
      () =>
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('../demo') as typeof DemoModule,
    );
    return runDemoCommand(args, rt.io);
  },
};
