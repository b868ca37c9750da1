import { ChannelCodes, TouchStore } from '../../../src/kpi/touch-store';

describe('ChannelCodes.codeOfBytes', () => {
  test('finds a known name by its bytes and tells apart names with the same length and ends', () => {
    const codes = new ChannelCodes();
    const row = Buffer.from('xxabcxxaxcxxÄpfelxx', 'utf8');
    // 'abc' and 'axc' share length, first and last byte: the key collides, the bytes decide.
    const abc = codes.codeOfBytes(row, 2, 5);
    const axc = codes.codeOfBytes(row, 7, 10);
    expect(codes.names[abc]).toBe('abc');
    expect(codes.names[axc]).toBe('axc');
    expect(abc).not.toBe(axc);
    expect(codes.codeOfBytes(Buffer.from('abc'), 0, 3)).toBe(abc);
    expect(codes.codeOfBytes(Buffer.from('--axc'), 2, 5)).toBe(axc);
    // Multi-byte UTF-8 and the empty name, known by name first or by bytes first: one code each.
    const apfel = codes.code('Äpfel');
    expect(codes.codeOfBytes(row, 12, 12 + Buffer.byteLength('Äpfel'))).toBe(apfel);
    const empty = codes.codeOfBytes(row, 3, 3);
    expect(codes.names[empty]).toBe('');
    expect(codes.code('')).toBe(empty);
    expect(codes.names).toEqual(['abc', 'axc', 'Äpfel', '']);
  });
});

describe('TouchStore.pushFrom', () => {
  test('copies the id bytes out of the source, which may change afterwards', () => {
    const store = new TouchStore();
    const source = Buffer.from('..t1..t22.', 'utf8');
    store.pushFrom(10, 0, source, 2, 4);
    store.pushFrom(5, 1, source, 6, 9);
    source.fill(0);
    const idOf = (i: number) =>
      store.ids.toString('utf8', store.idStart[i], store.idStart[i]! + store.idLength[i]!);
    expect([idOf(0), idOf(1)]).toEqual(['t1', 't22']);
    expect([store.at[0], store.channel[1], store.count]).toEqual([10, 1, 2]);
  });
});
