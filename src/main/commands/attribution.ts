import { once } from 'node:events';
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { parseArgs } from 'node:util';

import { z } from 'zod';

import type { Command } from './command';

import type {
  AttributionModel,
  ChannelPathReport,
  Conversion,
  Credit,
  DataDrivenModels,
} from '../../kpi/models/attribution';
import {
  ATTRIBUTION_MODELS,
  attributeConversion,
  buildDataDrivenModelsByKind,
  buildMarkovModel,
  buildShapleyModel,
  createMarkovAccumulator,
  createPathReportAccumulator,
  createShapleyAccumulator,
  MAX_EXACT_AMOUNT,
  parseChannelPath,
} from '../../kpi/models/attribution';

/**
 * `kpi-bridge attribution`: the attribution models as a command (spec: "Attribution as a command and
 * a library"). All I/O goes through `io`, so tests drive it with in-memory streams.
 */
export interface AttributionCommandIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Opens a file named by `--paths` / `--markov-paths`; default `fs.createReadStream`. */
  readonly openFile?: (path: string) => NodeJS.ReadableStream;
}

/** Exit codes: 0 done, 1 the input (a line, a file) is invalid, 2 the command line is. */
export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;

const PATH_MODELS = ['first_touch', 'last_touch', 'linear', 'markov', 'shapley'] as const;
type PathModel = (typeof PATH_MODELS)[number];

export const ATTRIBUTION_USAGE = `Usage: kpi-bridge attribution [--models a,b] [--population FILE] < conversions.jsonl
       kpi-bridge attribution --paths FILE [--models a,b]

Without --paths: reads conversions as JSON lines on stdin, one per line
  {"id":"deal-42","kind":"revenue","value":12000.5,"convertedAt":"2026-03-01T12:00:00Z",
   "contactCreatedAt":"…","dealCreatedAt":"…","touches":[{"id":"t1","at":"…","channel":"ORGANIC_SEARCH"}]}
and writes one credit per touch per model as JSON lines
  {"conversionId":"deal-42","model":"w_shaped","touchId":"t1","channel":"ORGANIC_SEARCH","share":0.33,"credit":4000.16}
The Markov chain and the Shapley game are built from the input's own (converting) paths, one per
conversion kind; the whole input is read before the first line is written. Conversion ids must be
unique in the input; revenue values at most ${MAX_EXACT_AMOUNT.toFixed(2)} (exact to the cent).

Options:
  --paths FILE         aggregated paths in the ChannelAttribution format
                       (path;total_conversions;total_conversion_value;total_null, channels joined by " > ");
                       prints one JSON line per channel with first_touch, last_touch, linear, markov and
                       shapley totals
  --population FILE    build the Markov chain and the Shapley game from these aggregated paths (converting
                       and not) instead of from the input; conversions are then streamed line by line
  --markov-paths FILE  the same as --population (its former name)
  --models a,b         only these models (${ATTRIBUTION_MODELS.join(', ')};
                       with --paths: ${PATH_MODELS.join(', ')})
  --help               this text

Exit status: 0 done, 1 invalid input (the message names the line), 2 invalid command line.
`;

class InputError extends Error {}

/**
 * Runs the command with `args` (without the `attribution` subcommand itself) and returns the exit
 * code. Never throws for bad input or arguments: it explains on stderr and returns 1 or 2.
 * Errors of the streams themselves (a closed stdout) are rethrown for the caller.
 */
export async function runAttributionCommand(
  args: readonly string[],
  io: AttributionCommandIo,
): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (err) {
    io.stderr.write(`kpi-bridge attribution: ${errorMessage(err)}\n\n${ATTRIBUTION_USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.help) {
    io.stdout.write(ATTRIBUTION_USAGE);
    return EXIT_OK;
  }
  const openFile = io.openFile ?? ((p: string) => fs.createReadStream(p));
  const out = createLineWriter(io.stdout);
  try {
    if (parsed.paths !== undefined) {
      const report = await reportPathsFile(openFile, parsed.paths);
      for (const line of report) await out.write(formatPathReportLine(line, parsed.pathModels));
    } else {
      await attributeStream(io.stdin, out, parsed.models, openFile, parsed.markovPaths);
    }
    await out.flush();
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    io.stderr.write(`kpi-bridge attribution: ${err.message}\n`);
    return EXIT_BAD_INPUT;
  }
}

function parseCommandLine(args: readonly string[]) {
  const { values } = parseArgs({
    args: [...args],
    options: {
      paths: { type: 'string' },
      'markov-paths': { type: 'string' },
      population: { type: 'string' },
      models: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const paths = values.paths;
  if (values.population !== undefined && values['markov-paths'] !== undefined) {
    throw new Error('--population and --markov-paths are the same option: give one');
  }
  const markovPaths = values.population ?? values['markov-paths'];
  if (paths !== undefined && markovPaths !== undefined) {
    throw new Error('--paths and --population cannot be combined');
  }
  const allowed: readonly string[] = paths !== undefined ? PATH_MODELS : ATTRIBUTION_MODELS;
  let models: AttributionModel[] = [...ATTRIBUTION_MODELS];
  if (values.models !== undefined) {
    const names = values.models
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '');
    const unknown = names.filter((m) => !allowed.includes(m));
    if (names.length === 0) throw new Error('--models needs at least one model name');
    if (unknown.length > 0) {
      throw new Error(`unknown model ${unknown.join(', ')}; choose from ${allowed.join(', ')}`);
    }
    models = ATTRIBUTION_MODELS.filter((m) => names.includes(m));
  }
  return {
    help: values.help === true,
    paths,
    markovPaths,
    models,
    pathModels: PATH_MODELS.filter((m) => paths === undefined || models.includes(m)),
  };
}

// --- conversions as JSON lines ------------------------------------------------------------------

const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with Z or an offset' })
  .transform((s) => Date.parse(s));

const touchSchema = z.strictObject({
  id: z.string().min(1),
  at: instant,
  channel: z.string().min(1),
  // Campaign, page, form, email…: carried by exports, not used by any model.
  details: z.record(z.string(), z.unknown()).optional(),
});

/** One input line. Unknown keys are rejected so that a misspelt `convertedat` is not silently ignored. */
export const conversionLineSchema = z
  .strictObject({
    id: z.string().min(1),
    kind: z.enum(['contact_create', 'deal_create', 'revenue']),
    value: z
      .number()
      .nonnegative()
      .max(MAX_EXACT_AMOUNT, {
        message: `must be at most ${MAX_EXACT_AMOUNT.toFixed(2)}: larger amounts cannot be credited exactly to the cent`,
      })
      .default(1),
    convertedAt: instant,
    contactCreatedAt: instant.nullish(),
    dealCreatedAt: instant.nullish(),
    touches: z.array(touchSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.touches.forEach((t, i) => {
      if (seen.has(t.id)) {
        ctx.addIssue({ code: 'custom', path: ['touches', i, 'id'], message: `duplicate touch id "${t.id}"` });
      }
      seen.add(t.id);
    });
  })
  .transform((c): Conversion => ({
    id: c.id,
    kind: c.kind,
    value: c.value,
    convertedAt: c.convertedAt,
    contactCreatedAt: c.contactCreatedAt ?? undefined,
    dealCreatedAt: c.dealCreatedAt ?? undefined,
    touches: c.touches.map((t) => ({ id: t.id, at: t.at, channel: t.channel })),
  }));

/** Parses one JSON line into a conversion, or throws an InputError naming the line and the field. */
function parseConversionLine(line: string, lineNumber: number): Conversion {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    throw new InputError(`line ${lineNumber}: not valid JSON (${errorMessage(err)})`);
  }
  const result = conversionLineSchema.safeParse(json);
  if (!result.success) {
    const details = result.error.issues
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(line)'}: ${issue.message}`)
      .join('; ');
    throw new InputError(`line ${lineNumber}: invalid conversion: ${details}`);
  }
  return result.data;
}

/** Refuses a conversion id seen before in the same input: its credits would be merged with the other's. */
function checkUniqueId(seen: Map<string, number>, conversion: Conversion, lineNumber: number): void {
  const first = seen.get(conversion.id);
  if (first !== undefined) {
    throw new InputError(
      `line ${lineNumber}: invalid conversion: id: duplicate conversion id "${conversion.id}" (first on line ${first}); ` +
        'give every conversion its own id (e.g. "deal-42-created" and "deal-42-won"), or its credits merge with the other',
    );
  }
  seen.set(conversion.id, lineNumber);
}

async function attributeStream(
  stdin: NodeJS.ReadableStream,
  out: LineWriter,
  models: readonly AttributionModel[],
  openFile: (path: string) => NodeJS.ReadableStream,
  populationFile: string | undefined,
): Promise<void> {
  const writeCredits = async (conversion: Conversion, population: DataDrivenModels | undefined) => {
    for (const credit of attributeConversion(conversion, {
      models,
      markov: population?.markov,
      shapley: population?.shapley,
    })) {
      const flushing = out.write(formatCredit(credit));
      if (flushing !== undefined) await flushing;
    }
  };
  const seen = new Map<string, number>();

  // Without the data-driven models, or with their population from a file, nothing needs the whole
  // input: stream it.
  const dataDriven = models.includes('markov') || models.includes('shapley');
  if (!dataDriven || populationFile !== undefined) {
    const population =
      populationFile !== undefined ? await buildPopulationFromFile(openFile, populationFile) : undefined;
    let lineNumber = 0;
    let conversions = 0;
    try {
      for await (const line of readLines(stdin)) {
        lineNumber++;
        if (line.trim() === '') continue;
        const conversion = parseConversionLine(line, lineNumber);
        checkUniqueId(seen, conversion, lineNumber);
        await writeCredits(conversion, population);
        conversions++;
      }
    } catch (err) {
      if (err instanceof InputError && conversions > 0) {
        await out.flush();
        throw new InputError(
          `${err.message}\n(credits of the ${conversions} valid conversions before it were written)`,
        );
      }
      throw err;
    }
    return;
  }

  // The chain needs every path before the first credit: read (and validate) everything first,
  // so a bad line means nothing was written.
  const conversions: Conversion[] = [];
  let lineNumber = 0;
  for await (const line of readLines(stdin)) {
    lineNumber++;
    if (line.trim() === '') continue;
    const conversion = parseConversionLine(line, lineNumber);
    checkUniqueId(seen, conversion, lineNumber);
    conversions.push(conversion);
  }
  const byKind = buildDataDrivenModelsByKind(conversions);
  for (const conversion of conversions) await writeCredits(conversion, byKind.get(conversion.kind));
}

/**
 * One output line, keys in the spec's order. Equivalent to JSON.stringify of the object, written out
 * by hand because it runs once per touch per model (millions of times) and dominated the profile.
 */
export function formatCredit(credit: Credit): string {
  const touchId = credit.touchId === null ? 'null' : JSON.stringify(credit.touchId);
  return (
    `{"conversionId":${JSON.stringify(credit.conversionId)},"model":"${credit.model}","touchId":${touchId},` +
    `"channel":${JSON.stringify(credit.channel)},"share":${formatNumber(credit.share)},"credit":${formatNumber(credit.credit)}}`
  );
}

/** A number as JSON writes it (String gives the same digits for finite numbers). */
function formatNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

// --- ChannelAttribution paths -------------------------------------------------------------------

interface PathRow {
  readonly path: string[];
  readonly conversions: number;
  readonly value: number;
  readonly nulls: number;
}

/**
 * Reads a ChannelAttribution-format file row by row. The header names the columns (`;`-separated, any
 * order): `path` and `total_conversions` are required, `total_conversion_value` and `total_null`
 * default to 0 when their column is absent. Blank lines are skipped.
 */
async function* readPathRows(
  openFile: (path: string) => NodeJS.ReadableStream,
  file: string,
): AsyncGenerator<PathRow> {
  let lineNumber = 0;
  let columns: { path: number; conversions: number; value: number; nulls: number; count: number } | undefined;
  try {
    for await (const line of readLines(openFile(file))) {
      lineNumber++;
      if (line.trim() === '') continue;
      const cells = line.split(';').map((c) => c.trim());
      if (columns === undefined) {
        const at = (name: string) => cells.indexOf(name);
        columns = {
          path: at('path'),
          conversions: at('total_conversions'),
          value: at('total_conversion_value'),
          nulls: at('total_null'),
          count: cells.length,
        };
        if (columns.path < 0 || columns.conversions < 0) {
          throw new InputError(
            `${file} line ${lineNumber}: the header must name the columns path;total_conversions;total_conversion_value;total_null, got "${line}"`,
          );
        }
        continue;
      }
      if (cells.length !== columns.count) {
        throw new InputError(
          `${file} line ${lineNumber}: expected ${columns.count} ;-separated fields, got ${cells.length}`,
        );
      }
      const path = parseChannelPath(cells[columns.path]!);
      if (path === undefined) {
        throw new InputError(
          `${file} line ${lineNumber}: path "${cells[columns.path]}" has an empty channel name`,
        );
      }
      const readNumber = (index: number, name: string): number => {
        if (index < 0) return 0;
        const text = cells[index]!;
        const n = Number(text);
        if (text === '' || !Number.isFinite(n) || n < 0) {
          throw new InputError(`${file} line ${lineNumber}: ${name} must be a number ≥ 0, got "${text}"`);
        }
        return n;
      };
      yield {
        path,
        conversions: readNumber(columns.conversions, 'total_conversions'),
        value: readNumber(columns.value, 'total_conversion_value'),
        nulls: readNumber(columns.nulls, 'total_null'),
      };
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read ${file}: ${errorMessage(err)}`);
  }
  if (columns === undefined) throw new InputError(`${file}: empty file, expected a header line`);
}

async function reportPathsFile(
  openFile: (path: string) => NodeJS.ReadableStream,
  file: string,
): Promise<ChannelPathReport[]> {
  const accumulator = createPathReportAccumulator();
  for await (const row of readPathRows(openFile, file))
    accumulator.add(row.path, row.conversions, row.value, row.nulls);
  return accumulator.finish();
}

async function buildPopulationFromFile(
  openFile: (path: string) => NodeJS.ReadableStream,
  file: string,
): Promise<DataDrivenModels> {
  const markov = createMarkovAccumulator();
  const shapley = createShapleyAccumulator();
  for await (const row of readPathRows(openFile, file)) {
    markov.add(row.path, row.conversions, row.value, row.nulls);
    shapley.add(row.path, row.conversions, row.nulls);
  }
  return { markov: buildMarkovModel(markov.snapshot()), shapley: buildShapleyModel(shapley.snapshot()) };
}

/** One `--paths` output line, keys in the spec's order, restricted to `models`. */
export function formatPathReportLine(
  line: ChannelPathReport,
  models: readonly PathModel[] = PATH_MODELS,
): string {
  const out: Record<string, unknown> = { channel: line.channel };
  for (const model of models) {
    out[model] =
      model === 'markov'
        ? {
            conversions: line.markov.conversions,
            value: line.markov.value,
            removalEffect: line.markov.removalEffect,
          }
        : { conversions: line[model].conversions, value: line[model].value };
  }
  return JSON.stringify(out);
}

// --- streams ------------------------------------------------------------------------------------

/** UTF-8 lines of a stream, without their `\n` / `\r\n`; a last line without newline included. */
async function* readLines(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline = pending.indexOf('\n');
    let start = 0;
    while (newline >= 0) {
      yield stripCarriageReturn(pending.slice(start, newline));
      start = newline + 1;
      newline = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  if (pending !== '') yield stripCarriageReturn(pending);
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

interface LineWriter {
  /** Buffers a line; returns a promise (to await) only when the buffer was handed to the stream. */
  write(line: string): Promise<void> | undefined;
  flush(): Promise<void>;
}

/**
 * Batches lines into ~64 KiB writes and waits for 'drain' when the stream asks to. `write` stays
 * synchronous between flushes: an await per line cost more than formatting it.
 */
function createLineWriter(stream: NodeJS.WritableStream): LineWriter {
  let lines: string[] = [];
  let size = 0;
  async function flush(): Promise<void> {
    if (lines.length === 0) return;
    const chunk = lines.join('\n') + '\n';
    lines = [];
    size = 0;
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  return {
    write(line) {
      lines.push(line);
      size += line.length;
      return size >= 65_536 ? flush() : undefined;
    },
    flush,
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const attributionCommand: Command = {
  name: 'attribution',
  summary: 'credit conversions (JSON lines on stdin) or ChannelAttribution paths (--paths FILE) to channels',
  usage: ATTRIBUTION_USAGE.replace(/^Usage: /, '').trimEnd(),
  needs: [],
  run: (args, rt) => runAttributionCommand(args, rt.io),
};
