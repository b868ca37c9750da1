import { allCommand } from './all';
import { apiCommand } from './api';
import { attributionCommand } from './attribution';
import type { Command } from './command';
import { demoCommand } from './demo';
import { healthcheckCommand } from './healthcheck';
import { hubspotProjectCommand } from './hubspot-project';
import { importCommand } from './import';
import { kpiCommand } from './kpi';
import { migrateCommand } from './migrate';
import { purgeCommand } from './purge';
import { reportLinkCommand } from './report-link';
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
  importCommand,
  rotateKeyCommand,
  reportLinkCommand,
  hubspotProjectCommand,
  apiCommand,
  workerCommand,
  allCommand,
  migrateCommand,
  healthcheckCommand,
];
