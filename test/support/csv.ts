/** CSV as a client reads it: csv-parse, strict about RFC 4180 (CRLF records, quoted fields, doubled quotes). */
import { parse } from 'csv-parse/sync';

export function parseCsv(text: string): string[][] {
  if (!text.endsWith('\r\n')) throw new Error('CSV must end with CRLF');
  // record_delimiter crlf: a bare LF outside quotes is data, not a record end, as RFC 4180 says.
  return parse(text, { record_delimiter: '\r\n', relax_quotes: false, relax_column_count: false, skip_empty_lines: false }) as string[][];
}
