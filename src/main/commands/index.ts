import { allCommand } from './all';
import { apiCommand } from './api';
import { attributionCommand } from './attribution';
import type { Command } from './command';
import { demoCommand } from './demo';
import { hubspotProjectCommand } from './hubspot-project';
import { kpiCommand } from './kpi';
import { migrateCommand } from './migrate';
import { purgeCommand } from './purge';
import { rotateKeyCommand } from './rotate-key';
import { simulatorCommand } from './simulator';
import { statusCommand } from './status';
import { syncCommand } from './sync';
import { workerCommand } from './worker';

/** Every `kpi-bridge` command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  demoCommand,
  simulatorCommand,
  attributionCommand,
  kpiCommand,
  purgeCommand,
  syncCommand,
  statusCommand,
  rotateKeyCommand,
  hubspotProjectCommand,
  apiCommand,
  workerCommand,
  allCommand,
  migrateCommand,
];
