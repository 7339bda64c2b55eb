/** Where the CLI writes: JSON for scripts (`--json`: nothing else on stdout), or lines and tables for people. */
export class CliOutput {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
  ) {}

  /** One JSON document on a line of its own. */
  data(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A line for people; left out under `--json`. */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** `value` as JSON under `--json`, else the lines `human` makes of it. */
  print<T>(value: T, human: (value: T) => string[]): void {
    if (this.json) this.data(value);
    else for (const text of human(value)) this.line(text);
  }
}

/** Rows as aligned columns, the header first. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const format = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)];
}
