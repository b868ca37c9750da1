/**
 * Attribution benchmark. Build, then run:
 *   npm run build && node dist/bench/attribution.bench.js [path/to/Data.csv] [conversions]
 *
 * Times the first (cold) run and the median of the next few, each against a baseline of the same run:
 * - `--paths` over ChannelAttribution's Data.csv (10,000 paths), against reading and splitting the
 *   file alone, and the exact Markov solve against a naive iterated one (value iteration) on the same
 *   transitions;
 * - the JSON-lines command over generated conversions (default 100,000), against parsing the
 *   lines alone.
 * Requirement: the `--paths` run (all five path models, Shapley included) under 1 s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';

import { runAttributionCommand } from '../src/main/commands/attribution';
import type { MarkovTransitions } from '../src/kpi/models/attribution';
import { buildMarkovModel, createMarkovAccumulator, parseChannelPath } from '../src/kpi/models/attribution';

const DEFAULT_DATA = path.resolve(__dirname, '../test/fixtures/channelattribution/Data.csv');
const RUNS = 5;

interface Timing {
  /** Wall time of the first run: cold JIT, what a one-off command line sees. */
  readonly first: number;
  /** Median wall time of the `runs` runs after it. */
  readonly median: number;
  /** Median CPU time (user + system) of those runs: less sensitive to a busy, shared machine. */
  readonly cpu: number;
}

/** Runs `fn` once cold, then `runs` times, and returns times in ms. */
async function time(fn: () => unknown, runs = RUNS): Promise<Timing> {
  const once = async () => {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    await fn();
    const wall = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = process.cpuUsage(cpuStart);
    return { wall, cpu: (cpu.user + cpu.system) / 1000 };
  };
  const first = (await once()).wall;
  const samples: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { first, median: median(samples.map((x) => x.wall)), cpu: median(samples.map((x) => x.cpu)) };
}

/** A stdout that only counts what it is given. */
function createSink(): { stream: Writable; bytes: () => number } {
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  return { stream, bytes: () => bytes };
}

async function runCommand(args: string[], stdin: Readable): Promise<number> {
  const stdout = createSink();
  const stderr = createSink();
  const code = await runAttributionCommand(args, { stdin, stdout: stdout.stream, stderr: stderr.stream });
  if (code !== 0) throw new Error(`attribution ${args.join(' ')} exited ${code}`);
  return stdout.bytes();
}

/** Naive baseline: absorption probabilities by repeated substitution x ← Q x + r to 1e-12. */
function iterateRemovalEffects(t: MarkovTransitions): number[] {
  const size = t.channels.length + 1;
  const rows = Array.from({ length: size }, (_, s) => {
    const out = t.outgoing[s]!;
    let total = t.toConversion[s]! + t.toNull[s]!;
    for (const n of out.values()) total += n;
    return {
      targets: [...out].map(([to, n]) => [to, total > 0 ? n / total : 0] as const),
      r: total > 0 ? t.toConversion[s]! / total : 0,
    };
  });
  const solve = (removed: number): number => {
    let x = new Float64Array(size);
    for (let iteration = 0; iteration < 1_000_000; iteration++) {
      const next = new Float64Array(size);
      let moved = 0;
      for (let s = 0; s < size; s++) {
        if (s === removed) continue;
        let v = rows[s]!.r;
        for (const [to, p] of rows[s]!.targets) v += p * x[to]!;
        next[s] = v;
        moved = Math.max(moved, Math.abs(v - x[s]!));
      }
      x = next;
      if (moved < 1e-12) break;
    }
    return x[0]!;
  };
  const base = solve(-1);
  return t.channels.map((_, i) => 1 - solve(i + 1) / base);
}

/** Deterministic generator (mulberry32), so every run benchmarks the same input. */
function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHANNELS = [
  'ORGANIC_SEARCH',
  'PAID_SEARCH',
  'EMAIL_MARKETING',
  'SOCIAL_MEDIA',
  'REFERRALS',
  'OTHER_CAMPAIGNS',
  'DIRECT_TRAFFIC',
  'OFFLINE',
  'PAID_SOCIAL',
  'AI_REFERRALS',
  'EVENTS',
  'PARTNERS',
];

/** `count` conversions as JSON lines: 1–12 touches over 90 days, a third of each kind. */
export function generateConversionLines(count: number): string[] {
  const random = createRandom(42);
  const base = Date.parse('2026-01-01T00:00:00Z');
  const day = 86_400_000;
  const kinds = ['contact_create', 'deal_create', 'revenue'] as const;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % 3]!;
    const convertedAt = base + Math.floor(random() * 90 * day);
    const touches = Array.from({ length: 1 + Math.floor(random() * 12) }, (_, j) => ({
      id: `t${j}`,
      // A few touches land after the conversion, as real data does.
      at: new Date(convertedAt - Math.floor(random() * 60 * day) + (random() < 0.05 ? day : 0)).toISOString(),
      channel: CHANNELS[Math.floor(random() * random() * CHANNELS.length)]!,
    }));
    lines.push(
      JSON.stringify({
        id: `conv-${i}`,
        kind,
        value: kind === 'revenue' ? Math.round(random() * 5_000_000) / 100 : 1,
        convertedAt: new Date(convertedAt).toISOString(),
        contactCreatedAt: new Date(convertedAt - Math.floor(random() * 30 * day)).toISOString(),
        dealCreatedAt:
          kind === 'contact_create'
            ? undefined
            : new Date(convertedAt - Math.floor(random() * 10 * day)).toISOString(),
        touches,
      }),
    );
  }
  return lines;
}

/** Feeds a string to the command as 64 KiB chunks, as a pipe would. */
function toStream(text: string): Readable {
  const buffer = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += 65_536) chunks.push(buffer.subarray(i, i + 65_536));
  return Readable.from(chunks);
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

// The nine models that need no population of paths, so the command streams.
const MODELS_WITHOUT_MARKOV =
  'first_touch,last_touch,linear,u_shaped,w_shaped,full_path,time_decay,j_shaped,inverse_j';

/** Prints a Markdown table of timings; see the file comment. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const dataFile = argv[0] ?? DEFAULT_DATA;
  const conversionCount = Number(argv[1] ?? 100_000);
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `${os.platform()} ${os.release()}, Node ${process.version}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at start`,
  );
  console.log(
    '| run | first run (cold), wall | median after it, wall | median CPU | baseline, median wall / CPU | ratio to baseline (CPU) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const row = (name: string, run: Timing, baselineName: string, baseline: Timing) =>
    console.log(
      `| ${name} | ${formatMs(run.first)} | ${formatMs(run.median)} | ${formatMs(run.cpu)} | ` +
        `${baselineName}: ${formatMs(baseline.median)} / ${formatMs(baseline.cpu)} | ` +
        `${(run.cpu / baseline.cpu).toPrecision(2)}× |`,
    );

  // --paths over Data.csv, against reading and splitting the file alone.
  const readOnly = await time(() => fs.readFileSync(dataFile, 'utf8').split('\n').length);
  const pathsRun = await time(() => runCommand(['--paths', dataFile], Readable.from([])));
  row(`\`--paths\` ${path.basename(dataFile)}`, pathsRun, 'read + split the file', readOnly);

  // The exact solve against a naive iterated one, on the same transitions.
  const accumulator = createMarkovAccumulator();
  for (const line of fs.readFileSync(dataFile, 'utf8').split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const [p, conversions, value, nulls] = line.split(';');
    accumulator.add(parseChannelPath(p!)!, Number(conversions), Number(value), Number(nulls));
  }
  const transitions = accumulator.snapshot();
  let exact: number[] = [];
  let iterated: number[] = [];
  const exactSolve = await time(() => {
    exact = buildMarkovModel(transitions).channels.map((c) => c.removalEffect);
  });
  const iteratedSolve = await time(() => {
    iterated = iterateRemovalEffects(transitions);
  });
  row(
    `Markov solve, ${transitions.channels.length} channels, exact`,
    exactSolve,
    'iterated to 1e-12',
    iteratedSolve,
  );

  // JSON lines over generated conversions, against JSON.parse of the same lines.
  const text = generateConversionLines(conversionCount).join('\n') + '\n';
  const parseOnly = await time(
    () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as unknown),
    3,
  );
  let creditBytes = 0;
  const allModels = await time(async () => {
    creditBytes = await runCommand([], toStream(text));
  }, 3);
  const streamed = await time(() => runCommand(['--models', MODELS_WITHOUT_MARKOV], toStream(text)), 3);
  const count = conversionCount.toLocaleString('en');
  row(`JSON lines, ${count} conversions, all eleven models`, allModels, 'JSON.parse of the lines', parseOnly);
  row(
    `JSON lines, ${count} conversions, nine models without Markov and Shapley (streamed)`,
    streamed,
    'JSON.parse of the lines',
    parseOnly,
  );

  console.log(
    `\nremoval effects exact vs iterated: largest gap ${Math.max(...exact.map((e, i) => Math.abs(e - iterated[i]!))).toExponential(1)}; ` +
      `JSON lines: ${(text.length / 2 ** 20).toFixed(1)} MiB in, ${(creditBytes / 2 ** 20).toFixed(1)} MiB of credits out, ` +
      `${Math.round(conversionCount / (allModels.median / 1000)).toLocaleString('en')} conversions/s with all models`,
  );
  console.log(
    `requirement \`--paths\` < 1 s: ${Math.max(pathsRun.first, pathsRun.median) < 1000 ? 'met' : 'NOT MET'}`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
