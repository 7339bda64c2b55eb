import { DataFormatError } from './tool-errors';

/** One parsed CSV row and the line it starts on (1-based). */
export interface CsvRow {
  readonly fields: string[];
  readonly line: number;
}

/**
 * Parses CSV text (RFC 4180): fields separated by `delimiter`, quoted with `"` when they hold the
 * delimiter, a quote (doubled: `""`) or a line break; lines end in CRLF, LF or CR. A byte order
 * mark, empty lines and the last line's break are ignored. Malformed text throws a
 * {@link DataFormatError} naming the line.
 */
export function parseCsvRows(text: string, delimiter = ','): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let closed = false; // the current field was quoted and its quote has closed
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endField = () => {
    fields.push(field);
    field = '';
    closed = false;
  };
  const endRow = () => {
    const emptyLine = fields.length === 0 && field === '' && !closed;
    endField();
    if (!emptyLine) rows.push({ fields, line: rowLine });
    fields = [];
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
        closed = true;
      } else {
        if (c === '\n' || (c === '\r' && source[i + 1] !== '\n')) line++;
        field += c;
      }
    } else if (c === delimiter) {
      endField();
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && source[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else if (c === '"') {
      if (field.length > 0 || closed)
        throw new DataFormatError(`CSV line ${line}`, 'a quote inside an unquoted field (quote the whole field and double the quote)');
      quoted = true;
      quoteLine = line;
    } else {
      if (closed) throw new DataFormatError(`CSV line ${line}`, `"${c}" after a closing quote (expected "${delimiter}" or the end of the line)`);
      field += c;
    }
  }
  if (quoted) throw new DataFormatError(`CSV line ${quoteLine}`, 'a quoted field is never closed');
  if (field.length > 0 || closed || fields.length > 0) endRow();
  return rows;
}

/** CSV with a header line, as records keyed by the header's names. */
export function parseCsvRecords(text: string, delimiter = ','): Record<string, string>[] {
  const [header, ...rows] = parseCsvRows(text, delimiter);
  if (!header) return [];
  const seen = new Set<string>();
  header.fields.forEach((name, i) => {
    if (name.trim() === '') throw new DataFormatError('CSV header', `column ${i + 1} has no name`);
    if (seen.has(name)) throw new DataFormatError('CSV header', `column "${name}" appears twice`);
    seen.add(name);
  });
  return rows.map(({ fields, line }) => {
    if (fields.length !== header.fields.length) {
      throw new DataFormatError(`CSV line ${line}`, `has ${fields.length} fields, the header has ${header.fields.length}`);
    }
    return Object.fromEntries(header.fields.map((name, i) => [name, fields[i]]));
  });
}
