import { CsvImportError, parseBrandedSearchCsv, parseTrafficCsv } from '../../../src/sync';

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (err) {
    if (err instanceof CsvImportError) return err.message;
    throw err;
  }
  throw new Error('the file was accepted');
}

describe('traffic CSV', () => {
  it('reads day,source,visits with or without a header, CRLF, BOM, quotes and blank lines', () => {
    expect(
      parseTrafficCsv(
        '\uFEFFday,source,visits\r\n2026-03-01,DIRECT_TRAFFIC,12\r\n\r\n"2026-03-01", ORGANIC_SEARCH ,0\r\n',
      ),
    ).toEqual([
      { day: '2026-03-01', source: 'DIRECT_TRAFFIC', visits: 12 },
      { day: '2026-03-01', source: 'ORGANIC_SEARCH', visits: 0 },
    ]);
    expect(parseTrafficCsv('2026-02-28,PAID_SEARCH,7')).toEqual([
      { day: '2026-02-28', source: 'PAID_SEARCH', visits: 7 },
    ]);
  });

  it('names every bad line and why, and accepts nothing', () => {
    const message = refusal(() =>
      parseTrafficCsv(
        [
          'day,source,visits',
          '2026-03-01,DIRECT_TRAFFIC,12',
          '2026-02-30,DIRECT_TRAFFIC,3',
          '2026-03-02,,3',
          '2026-03-03,DIRECT_TRAFFIC,-1',
          '2026-03-04,DIRECT_TRAFFIC,1.5',
          '03/05/2026,DIRECT_TRAFFIC,1',
          '2026-03-06,DIRECT_TRAFFIC',
          '2026-03-01,DIRECT_TRAFFIC,4',
          '2026-03-07,"DIRECT_TRAFFIC,9',
          '2026-03-08,DIRECT_TRAFFIC,99999999999',
        ].join('\n'),
      ),
    );
    expect(message.split('\n')).toEqual([
      'line 3: day is not a calendar date',
      'line 4: source is empty',
      'line 5: visits must be a whole number ≥ 0',
      'line 6: visits must be a whole number ≥ 0',
      'line 7: day must be a date written YYYY-MM-DD',
      'line 8: expected 3 fields (day,source,visits), found 2',
      'line 9: day 2026-03-01 source DIRECT_TRAFFIC appears twice (first on line 2)',
      'line 10: unterminated quoted field',
      'line 11: visits is larger than 2147483647',
    ]);
  });

  it('refuses a wrong header and an empty file', () => {
    expect(refusal(() => parseTrafficCsv('day,visits,source\n2026-03-01,DIRECT_TRAFFIC,1'))).toBe(
      'line 1: header must be "day,source,visits", found "day,visits,source"',
    );
    expect(refusal(() => parseTrafficCsv('day,source,visits\n\n'))).toBe('the file has no data rows');
  });
});

describe('branded search CSV', () => {
  it('reads day,searches and names bad lines', () => {
    expect(parseBrandedSearchCsv('day,searches\n2026-03-01,140\n2026-03-02,0\n')).toEqual([
      { day: '2026-03-01', searches: 140 },
      { day: '2026-03-02', searches: 0 },
    ]);
    expect(
      refusal(() => parseBrandedSearchCsv('day,searches\n2026-03-01,140\n2026-03-01,1\n2026-03-02,x')),
    ).toBe(
      'line 3: day 2026-03-01 appears twice (first on line 2)\nline 4: searches must be a whole number ≥ 0',
    );
  });
});
