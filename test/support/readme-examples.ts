/** One shell command of a README's ```bash block, with the comment lines printed right after it. */
export interface ShellExample {
  /** 1-based line of the README where the command starts. */
  line: number;
  /** The command as written, continuation lines included, without a trailing comment. */
  command: string;
  /** The comment lines right below the command (its shown output, or `# → <status> <body>`), without `# `. */
  notes: string[];
}

/** Where a shell line's comment starts (`#` at a word's start, outside quotes), whether it ends inside quotes or a `\`. */
function scanShellLine(text: string, open: "'" | '"' | null): { code: string; open: "'" | '"' | null; continues: boolean } {
  let quote = open;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i += 1;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i += 1;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      const code = text.slice(0, i).trimEnd();
      return { code, open: null, continues: code.endsWith('\\') };
    }
  }
  return { code: text, open: quote, continues: !quote && text.trimEnd().endsWith('\\') };
}

/**
 * The commands of every ```bash block of `markdown`: a command runs on over lines that end in `\`
 * or inside an open quote; comment lines right below it (up to a blank line or the next command)
 * are its notes.
 */
export function shellExamples(markdown: string): ShellExample[] {
  const lines = markdown.split('\n');
  const examples: ShellExample[] = [];
  let inBlock = false;
  let current: { start: number; parts: string[]; open: "'" | '"' | null; continues: boolean } | undefined;
  let last: ShellExample | undefined;
  lines.forEach((text, index) => {
    if (!inBlock) {
      inBlock = text.trim() === '```bash';
      last = undefined;
      return;
    }
    if (current) {
      const scanned = scanShellLine(text, current.open);
      current.parts.push(scanned.code);
      Object.assign(current, { open: scanned.open, continues: scanned.continues });
    } else if (text.trim() === '```') {
      inBlock = false;
      return;
    } else if (text.trim() === '') {
      last = undefined;
      return;
    } else if (text.trimStart().startsWith('#')) {
      last?.notes.push(text.trimStart().replace(/^#\s?/, ''));
      return;
    } else {
      const scanned = scanShellLine(text, null);
      current = { start: index + 1, parts: [scanned.code], open: scanned.open, continues: scanned.continues };
    }
    if (current && !current.open && !current.continues) {
      last = { line: current.start, command: current.parts.join('\n'), notes: [] };
      examples.push(last);
      current = undefined;
    }
  });
  return examples;
}

/** What a `→ <status> <JSON>` note promises: the status, and the JSON's top-level fields. */
export interface ShownAnswer {
  status?: number;
  /** Top-level field names of the JSON shown, each with its value when it is a plain JSON scalar without `…`. */
  fields: { name: string; value?: string | number | boolean | null }[];
}

/** Reads the first `→` note of an example, if it has one. */
export function shownAnswer(notes: string[]): ShownAnswer | undefined {
  const note = notes.find((n) => n.startsWith('→'));
  if (!note) return undefined;
  const status = /^→\s*(\d{3})\b/.exec(note)?.[1];
  const start = note.indexOf('{');
  return { status: status ? Number(status) : undefined, fields: start < 0 ? [] : topLevelFields(note.slice(start)) };
}

/** The top-level fields of the JSON object `text` starts with (which may be abridged with `…`). */
function topLevelFields(text: string): ShownAnswer['fields'] {
  const fields: ShownAnswer['fields'] = [];
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  let pendingKey: string | undefined;
  let valueStart = -1;
  const closeValue = (end: number) => {
    if (pendingKey === undefined) return;
    const raw = text.slice(valueStart, end).trim();
    let value: ShownAnswer['fields'][number]['value'];
    if (!raw.includes('…') && !raw.startsWith('{') && !raw.startsWith('[')) {
      try {
        value = JSON.parse(raw);
      } catch {
        value = undefined;
      }
    }
    fields.push(value === undefined ? { name: pendingKey } : { name: pendingKey, value });
    pendingKey = undefined;
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') {
        inString = false;
        const rest = text.slice(i + 1).trimStart();
        if (depth === 1 && pendingKey === undefined && rest.startsWith(':')) {
          pendingKey = text.slice(stringStart + 1, i);
          valueStart = text.indexOf(':', i) + 1;
        }
      }
    } else if (c === '"') {
      inString = true;
      stringStart = i;
    } else if (c === '{' || c === '[') depth += 1;
    else if (c === '}' || c === ']') {
      if (depth === 1) closeValue(i);
      depth -= 1;
      if (depth === 0) break;
    } else if (c === ',' && depth === 1) closeValue(i);
  }
  return fields;
}

/**
 * `shown` (a README's text, abridged with `…`) as a pattern that the real text must match. A `…`
 * stands for what differs from one run to the next, together with the letters and digits right
 * before it, which only illustrate it: `sy_5pUx5OGJ…` is any `sy_` key.
 */
export function abridgedPattern(shown: string): RegExp {
  const parts = shown.split(/[A-Za-z0-9]*…/);
  return new RegExp(`^${parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
}
