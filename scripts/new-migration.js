#!/usr/bin/env node
// Creates migrations/<ISO timestamp>-<name>.ts. Migrations are frozen in time:
// they use Kysely<any> and import nothing from src/.
const fs = require('node:fs');
const path = require('node:path');
const name = (process.argv[2] || '')
  .toLowerCase()
  .replace(/[^a-z0-9]+/g, '-')
  .replace(/^-|-$/g, '');
if (!name) {
  console.error('usage: npm run migrate:new -- <name>');
  process.exit(2);
}
const stamp = new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const file = path.join(__dirname, '..', 'migrations', `${stamp}-${name}.ts`);
fs.writeFileSync(
  file,
  `import type { Kysely } from 'kysely';\n\n` +
    `// eslint-disable-next-line @typescript-eslint/no-explicit-any\n` +
    `export async function up(db: Kysely<any>): Promise<void> {}\n\n` +
    `// eslint-disable-next-line @typescript-eslint/no-explicit-any\n` +
    `export async function down(db: Kysely<any>): Promise<void> {}\n`,
);
console.log(path.relative(process.cwd(), file));
