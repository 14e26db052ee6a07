import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../src/views/csv.js';
import { parseCsv } from '../support/server.js';

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['cr\rhere', '"cr\rhere"'],
    ['=1+2', "'=1+2"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['=A1,"x"', `"'=A1,""x"""`],
    ['mid=dle', 'mid=dle'],
  ])('%j → %j', (input, expected) => {
    expect(csvField(input)).toBe(expected);
  });

  it('renders numbers, and null/undefined as empty', () => {
    expect(csvField(42)).toBe('42');
    expect(csvField(0)).toBe('0');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });
});

describe('toCsv', () => {
  it('joins fields with commas and records with CRLF, ending in CRLF', () => {
    expect(toCsv(['a', 'b'], [[1, 'x,y'], ['"q"', undefined]])).toBe('a,b\r\n1,"x,y"\r\n"""q""",\r\n');
  });

  it('round-trips awkward values through an RFC 4180 parser', () => {
    const values = ['a', 'b,c', 'd"e', 'f\r\ng', '', ' lead', 'trail ', '\u00e9\u4e2d'];
    const rows = values.map((v, i) => [v, String(i)]);
    expect(parseCsv(toCsv(['v', 'i'], rows))).toEqual([['v', 'i'], ...rows]);
  });
});
