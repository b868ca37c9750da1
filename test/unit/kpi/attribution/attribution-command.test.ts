import { Readable, Writable } from 'node:stream';

import fc from 'fast-check';

import {
  EXIT_BAD_INPUT,
  EXIT_OK,
  EXIT_USAGE,
  formatCredit,
  runAttributionCommand,
} from '../../../../src/main/commands/attribution';
import { ATTRIBUTION_MODELS } from '../../../../src/kpi/models/attribution';
import { referenceFile } from './reference-data';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines. */
  lines: () => Record<string, unknown>[];
}

function collector(highWaterMark = 16_384): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      // Asynchronous acknowledgement, so that a small highWaterMark exercises 'drain'.
      setImmediate(callback);
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function run(
  args: string[],
  stdin = '',
  files: Record<string, string> = {},
  highWaterMark?: number,
): Promise<Run> {
  const stdout = collector(highWaterMark);
  const stderr = collector();
  const code = await runAttributionCommand(args, {
    stdin: Readable.from([Buffer.from(stdin, 'utf8')]),
    stdout: stdout.stream,
    stderr: stderr.stream,
    openFile: (p) =>
      files[p] !== undefined
        ? Readable.from([Buffer.from(files[p], 'utf8')])
        : Readable.from(
            (async function* () {
              await Promise.resolve();
              throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), {
                code: 'ENOENT',
              });
              yield '';
            })(),
          ),
  });
  const text = stdout.text();
  return {
    code,
    stdout: text,
    stderr: stderr.text(),
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SPEC_EXAMPLE = JSON.stringify({
  id: 'deal-42',
  kind: 'revenue',
  value: 12000.5,
  convertedAt: '2026-03-01T12:00:00Z',
  contactCreatedAt: '2026-01-10T09:00:00Z',
  dealCreatedAt: '2026-02-01T09:00:00Z',
  touches: [
    { id: 't1', at: '2026-01-02T10:00:00Z', channel: 'ORGANIC_SEARCH' },
    { id: 't2', at: '2026-01-10T09:00:00Z', channel: 'PAID_SEARCH' },
  ],
});

describe('runAttributionCommand: conversions as JSON lines', () => {
  it('writes one credit per touch per model, in the spec format', async () => {
    const r = await run([], SPEC_EXAMPLE + '\n');
    expect(r.code).toBe(EXIT_OK);
    expect(r.stderr).toBe('');
    expect(r.lines()).toHaveLength(22);
    // t1 is first; t2 is lead creation, deal creation and closed-won: 0.3 vs 0.9 of 1 → 1/3, 2/3.
    const w = r.stdout.split('\n').filter((l) => l.includes('"w_shaped"'));
    expect(w).toEqual([
      `{"conversionId":"deal-42","model":"w_shaped","touchId":"t1","channel":"ORGANIC_SEARCH","share":${1 / 3},"credit":4000.16}`,
      `{"conversionId":"deal-42","model":"w_shaped","touchId":"t2","channel":"PAID_SEARCH","share":${2 / 3},"credit":8000.34}`,
    ]);
    expect([...new Set(r.lines().map((l) => l.model))]).toEqual([
      'first_touch',
      'last_touch',
      'linear',
      'u_shaped',
      'w_shaped',
      'full_path',
      'time_decay',
      'j_shaped',
      'inverse_j',
      'markov',
      'shapley',
    ]);
  });

  it('credits a conversion without touches to (no touch), accepts CRLF and blank lines', async () => {
    const lines = [
      '{"id":"c1","kind":"contact_create","convertedAt":"2026-01-01T00:00:00Z","touches":[]}',
      '',
      '{"id":"c2","kind":"contact_create","convertedAt":"2026-01-01T00:00:00Z"}',
    ];
    const r = await run(['--models', 'u_shaped,markov'], lines.join('\r\n'));
    expect(r.code).toBe(EXIT_OK);
    expect(r.lines()).toEqual(
      ['c1', 'c2'].flatMap((id) =>
        ['u_shaped', 'markov'].map((model) => ({
          conversionId: id,
          model,
          touchId: null,
          channel: '(no touch)',
          share: 1,
          credit: 1,
        })),
      ),
    );
  });

  it('builds the Markov chain from the input paths, per kind', async () => {
    const conversion = (id: string, channels: string[]) =>
      JSON.stringify({
        id,
        kind: 'deal_create',
        convertedAt: '2026-02-01T00:00:00Z',
        touches: channels.map((channel, i) => ({ id: `t${i}`, at: `2026-01-0${i + 1}T00:00:00Z`, channel })),
      });
    // The vignette's paths: removal effects A = 1, B = 0.5, so on A > B > A the channel A gets 2/3
    // split over two touches and B 1/3.
    const input = [
      conversion('d1', ['A', 'B', 'A', 'B', 'B', 'A']),
      conversion('d2', ['A', 'B', 'B', 'A', 'A']),
      conversion('d3', ['A', 'A']),
    ].join('\n');
    const r = await run(['--models', 'markov'], input);
    expect(r.code).toBe(EXIT_OK);
    const d2 = r
      .lines()
      .filter((l) => l.conversionId === 'd2')
      .map((l) => [l.channel, l.share]);
    expect(d2.map(([c]) => c)).toEqual(['A', 'B', 'B', 'A', 'A']);
    for (const [channel, share] of d2) expect(share).toBeCloseTo(channel === 'A' ? 2 / 9 : 1 / 6, 12);
  });

  it('applies a chain from --markov-paths and streams', async () => {
    const files = {
      'pop.csv': 'path;total_conversions;total_conversion_value;total_null\nA > B;1;10;0\nB;0;0;5\n',
    };
    const input = JSON.stringify({
      id: 'd1',
      kind: 'deal_create',
      convertedAt: '2026-02-01T00:00:00Z',
      touches: [
        { id: 'a', at: '2026-01-01T00:00:00Z', channel: 'A' },
        { id: 'b', at: '2026-01-02T00:00:00Z', channel: 'B' },
      ],
    });
    const r = await run(['--models', 'markov', '--markov-paths', 'pop.csv'], input, files);
    expect(r.code).toBe(EXIT_OK);
    // Start → A once, start → B five times, A → B, B converts 1 in 6. Removing B loses every
    // conversion (effect 1); removing A loses the 1/6 of them that came through it (effect 1/6).
    const [a, b] = r.lines().map((l) => l.share as number);
    expect(a).toBeCloseTo(1 / 7, 12);
    expect(b).toBeCloseTo(6 / 7, 12);
  });

  it('rejects a bad line with its number and writes nothing when the whole input is needed', async () => {
    const r = await run(
      [],
      [SPEC_EXAMPLE, SPEC_EXAMPLE.replace('"kind":"revenue"', '"kind":"won"'), '{'].join('\n'),
    );
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('line 2: invalid conversion: kind:');
  });

  it.each([
    ['not JSON', '{"id":', 'line 1: not valid JSON'],
    ['missing convertedAt', '{"id":"x","kind":"revenue"}', 'line 1: invalid conversion: convertedAt'],
    [
      'date without zone',
      '{"id":"x","kind":"revenue","convertedAt":"2026-01-01T00:00:00"}',
      'convertedAt: must be an ISO',
    ],
    [
      'unknown key',
      '{"id":"x","kind":"revenue","convertedAt":"2026-01-01T00:00:00Z","convertedat":1}',
      'convertedat',
    ],
    [
      'negative value',
      '{"id":"x","kind":"revenue","value":-1,"convertedAt":"2026-01-01T00:00:00Z"}',
      'value:',
    ],
    [
      'duplicate touch ids',
      '{"id":"x","kind":"revenue","convertedAt":"2026-01-01T00:00:00Z","touches":[{"id":"t","at":"2026-01-01T00:00:00Z","channel":"A"},{"id":"t","at":"2026-01-01T00:00:00Z","channel":"B"}]}',
      'touches.1.id: duplicate touch id "t"',
    ],
  ])('explains a bad line: %s', async (_name, line, message) => {
    const r = await run([], line);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.stderr).toContain(message);
  });

  it('when streaming, says which credits were already written', async () => {
    const second = SPEC_EXAMPLE.replace('deal-42', 'deal-43');
    const r = await run(['--models', 'linear'], [SPEC_EXAMPLE, second, 'oops'].join('\n'));
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.lines()).toHaveLength(4);
    expect(r.stderr).toContain('line 3: not valid JSON');
    expect(r.stderr).toContain('credits of the 2 valid conversions before it were written');
  });

  it('waits for drain on a slow stdout and loses no line', async () => {
    const input = Array.from({ length: 300 }, (_, i) => SPEC_EXAMPLE.replace('deal-42', `deal-${i}`)).join(
      '\n',
    );
    const r = await run([], input, {}, 64);
    expect(r.code).toBe(EXIT_OK);
    expect(r.lines()).toHaveLength(300 * 22);
    expect(new Set(r.lines().map((l) => l.conversionId)).size).toBe(300);
  });

  it.each([[[]], [['--models', 'linear']]])(
    'refuses a duplicate conversion id, whose credits would merge (%j)',
    async (args) => {
      const other = SPEC_EXAMPLE.replace('"revenue"', '"deal_create"');
      const r = await run(args, [SPEC_EXAMPLE, other].join('\n'));
      expect(r.code).toBe(EXIT_BAD_INPUT);
      expect(r.stderr).toContain(
        'line 2: invalid conversion: id: duplicate conversion id "deal-42" (first on line 1)',
      );
    },
  );

  it('refuses a value beyond the exact money range instead of rounding it', async () => {
    const line = SPEC_EXAMPLE.replace('12000.5', '200000000000000.01');
    const r = await run([], line);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.stderr).toContain('line 1: invalid conversion: value: must be at most 70368744177663.99');
    // The largest exact amount is credited to the cent.
    const edge = await run(['--models', 'linear'], SPEC_EXAMPLE.replace('12000.5', '70368744177663.99'));
    expect(edge.code).toBe(EXIT_OK);
    expect(edge.lines().map((l) => l.credit)).toEqual([35184372088832, 35184372088831.99]);
  });

  it('writes nothing for an empty input', async () => {
    expect(await run([], '')).toMatchObject({ code: EXIT_OK, stdout: '', stderr: '' });
  });
});

describe('runAttributionCommand: --paths', () => {
  const header = 'path;total_conversions;total_conversion_value;total_null';

  it('prints one line per channel in the spec format', async () => {
    const file = [header, 'A>B>A>B>B>A;1;0;0', 'A>B>B>A>A;1;0;0', 'A>A;1;0;0'].join('\n');
    const r = await run(['--paths', 'toy.csv'], '', { 'toy.csv': file });
    expect(r.code).toBe(EXIT_OK);
    const [a, b] = r.stdout.trim().split('\n');
    expect(a).toMatch(
      /^\{"channel":"A","first_touch":\{"conversions":3,"value":0\},"last_touch":\{"conversions":3,"value":0\},"linear":\{"conversions":2\.1,"value":0\},"markov":\{"conversions":2(\.0+\d*)?,"value":0,"removalEffect":1\},"shapley":\{"conversions":3,"value":0\}\}$/,
    );
    expect(JSON.parse(b!)).toMatchObject({
      channel: 'B',
      markov: { removalEffect: 0.5 },
      shapley: { conversions: 0, value: 0 },
    });
  });

  it('reads the published data set from disk', async () => {
    const stdout = collector();
    const stderr = collector();
    const code = await runAttributionCommand(['--paths', referenceFile('Data.csv')], {
      stdin: Readable.from([]),
      stdout: stdout.stream,
      stderr: stderr.stream,
    });
    expect(code).toBe(EXIT_OK);
    const lines = stdout
      .text()
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            channel: string;
            first_touch: { conversions: number };
            markov: { removalEffect: number };
          },
      );
    expect(lines.map((l) => l.channel)).toEqual([...lines.map((l) => l.channel)].sort());
    expect(lines).toHaveLength(12);
    const alpha = lines.find((l) => l.channel === 'alpha')!;
    expect(alpha.first_touch.conversions).toBe(6308);
    expect(alpha.markov.removalEffect).toBeCloseTo(0.5583994895, 9);
  });

  it('filters models', async () => {
    const r = await run(['--paths', 'p.csv', '--models', 'markov,first_touch'], '', {
      'p.csv': `${header}\nA;1;2;3\n`,
    });
    expect(r.code).toBe(EXIT_OK);
    expect(Object.keys(r.lines()[0]!)).toEqual(['channel', 'first_touch', 'markov']);
  });

  it.each([
    ['a missing file', 'nope.csv', {}, 'cannot read nope.csv: ENOENT'],
    ['a bad header', 'p.csv', { 'p.csv': 'a;b;c\n' }, 'p.csv line 1: the header must name'],
    [
      'a bad number',
      'p.csv',
      { 'p.csv': `${header}\nA;1;2;3\nB;x;2;3\n` },
      'p.csv line 3: total_conversions must be a number',
    ],
    [
      'a missing field',
      'p.csv',
      { 'p.csv': `${header}\nA;1;2\n` },
      'p.csv line 2: expected 4 ;-separated fields, got 3',
    ],
    [
      'an empty channel',
      'p.csv',
      { 'p.csv': `${header}\nA >  > B;1;2;3\n` },
      'p.csv line 2: path "A >  > B" has an empty channel',
    ],
    ['an empty file', 'p.csv', { 'p.csv': '' }, 'p.csv: empty file'],
  ])('rejects %s', async (_name, file, files: Record<string, string>, message) => {
    const r = await run(['--paths', file], '', files);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });
});

describe('runAttributionCommand: command line', () => {
  it('prints help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain('Usage: kpi-bridge attribution');
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--models', 'linear,nope'], 'unknown model nope'],
    [['--models', ','], '--models needs at least one model name'],
    [
      ['--paths', 'x', '--models', 'u_shaped'],
      'unknown model u_shaped; choose from first_touch, last_touch, linear, markov',
    ],
    [['--paths', 'x', '--markov-paths', 'y'], 'cannot be combined'],
    [['positional'], 'positional'],
  ])('rejects %j with usage', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('Usage:');
  });
});

describe('formatCredit', () => {
  it('writes exactly what JSON.stringify writes, for any strings and numbers', () => {
    fc.assert(
      fc.property(
        fc.record({
          conversionId: fc.string({ unit: 'grapheme' }),
          model: fc.constantFrom(...ATTRIBUTION_MODELS),
          touchId: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
          channel: fc.string({ unit: 'binary' }),
          share: fc.double({ min: 0, max: 1, noNaN: true }),
          credit: fc.double({ noNaN: true, noDefaultInfinity: true }),
        }),
        (credit) => {
          expect(formatCredit(credit)).toBe(JSON.stringify(credit));
        },
      ),
    );
  });
});
