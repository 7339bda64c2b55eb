import { parseCsvRecords, parseCsvRows } from './csv-parser';
import { DataFormatError } from './tool-errors';

const fields = (text: string, delimiter?: string) => parseCsvRows(text, delimiter).map((r) => r.fields);

describe('parseCsvRows', () => {
  it('splits plain fields and lines', () => {
    expect(fields('a,b,c\n1,2,3\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
    expect(fields('a,b\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('takes CRLF, LF and CR line ends, and ignores empty lines and a BOM', () => {
    expect(fields('\uFEFFa,b\r\n1,2\r\n\r\n3,4\r5,6\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
  });

  it('keeps delimiters, line breaks and doubled quotes inside quoted fields', () => {
    expect(fields('name,note\r\n"Smith, J","said ""hi""\r\nthen left"\r\n')).toEqual([
      ['name', 'note'],
      ['Smith, J', 'said "hi"\r\nthen left'],
    ]);
  });

  it('keeps empty fields, quoted or not', () => {
    expect(fields('a,,c\n,"",\n""\n')).toEqual([['a', '', 'c'], ['', '', ''], ['']]);
  });

  it('takes another delimiter', () => {
    expect(fields('a;b\n"x;y";2', ';')).toEqual([
      ['a', 'b'],
      ['x;y', '2'],
    ]);
  });

  it('numbers rows by the line they start on, across quoted line breaks', () => {
    expect(parseCsvRows('a\n"x\ny"\nz').map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it.each([
    ['a,b\n"open,2\n', 'CSV line 2: a quoted field is never closed'],
    ['a,b\n1,x"y\n', 'CSV line 2: a quote inside an unquoted field (quote the whole field and double the quote)'],
    ['a,b\n"x"y,2\n', 'CSV line 2: "y" after a closing quote (expected "," or the end of the line)'],
  ])('refuses %j', (text, message) => {
    expect(() => parseCsvRows(text)).toThrow(DataFormatError);
    expect(() => parseCsvRows(text)).toThrow(message);
  });
});

describe('parseCsvRecords', () => {
  it('keys each row by the header', () => {
    expect(parseCsvRecords('city,temp\nOslo,3\n"Rio, BR",31\n')).toEqual([
      { city: 'Oslo', temp: '3' },
      { city: 'Rio, BR', temp: '31' },
    ]);
    expect(parseCsvRecords('')).toEqual([]);
    expect(parseCsvRecords('a,b\n')).toEqual([]);
  });

  it('refuses rows of the wrong width and bad headers, naming the line or column', () => {
    expect(() => parseCsvRecords('a,b\n1,2\n3\n')).toThrow('CSV line 3: has 1 fields, the header has 2');
    expect(() => parseCsvRecords('a,,c\n1,2,3')).toThrow('CSV header: column 2 has no name');
    expect(() => parseCsvRecords('a,a\n1,2')).toThrow('CSV header: column "a" appears twice');
  });
});
