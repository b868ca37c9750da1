import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The production image (Dockerfile, target `runtime`) leaves out src/simulator. The CLI must
 * still load there: nothing reachable from src/main/cli.ts through value imports (type-only
 * imports vanish at compile time) may be simulator code. The demo and simulator commands load
 * it on use instead.
 */
const root = path.resolve(__dirname, '../../..');

function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  // `import … from 'x'` and `export … from 'x'`, except `import type` / `export type`.
  for (const m of text.matchAll(/^\s*(import|export)\s+(?!type\b)[^;]*?\sfrom\s+'([^']+)'/gms))
    specs.push(m[2]!);
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm)) specs.push(m[1]!);
  return specs.filter((s) => s.startsWith('.'));
}

function resolveTs(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => existsSync(f));
}

describe('the production image without the simulator', () => {
  it('loads the CLI: no value import path from src/main/cli.ts reaches src/simulator', () => {
    const start = path.join(root, 'src/main/cli.ts');
    const seen = new Map<string, string | undefined>([[start, undefined]]);
    const queue = [start];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const spec of valueImports(file)) {
        const target = resolveTs(file, spec);
        if (target && !seen.has(target)) {
          seen.set(target, file);
          queue.push(target);
        }
      }
    }
    const simulatorDir = path.join(root, 'src/simulator') + path.sep;
    const reached = [...seen.keys()].filter((f) => f.startsWith(simulatorDir));
    const chain = (file: string): string[] => {
      const parent = seen.get(file);
      return parent ? [...chain(parent), path.relative(root, file)] : [path.relative(root, file)];
    };
    expect(reached.map((f) => chain(f).join(' → '))).toEqual([]);
    // The walk did cover the command modules (a broken walker would pass vacuously).
    expect([...seen.keys()].map((f) => path.relative(root, f))).toEqual(
      expect.arrayContaining([
        'src/main/commands/demo.ts',
        'src/main/commands/simulator.ts',
        'src/context.ts',
      ]),
    );
  });
});
