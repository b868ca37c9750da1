#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (npm install builds it through the `prepare` script).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'main', 'cli.js');
if (!fs.existsSync(entry)) {
  console.error('kpi-bridge: not built yet; run `npm run build` (npm install does it for you).');
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => {
      // Long-running commands (api, worker) resolve once started and keep the process alive.
      if (code !== 0) {
        process.exitCode = code;
        // A failed command closed what it opened; if some handle still holds the process,
        // exit anyway (the timer is unref'd: it never delays a process that ends by itself).
        globalThis.setTimeout(() => process.exit(code), 2_000).unref();
      }
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
