import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/** The most lines a function may take (STYLE.md). */
const MAX_LINES = 80;
/** The folders held to it so far; the others join as they are reworked. */
const FOLDERS = ['dag', 'engine', 'sessions', 'worker'];

/** Every function, method and arrow function of `file` longer than MAX_LINES, as `file:line name (n lines)`. */
function longFunctions(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
      if (last - first + 1 > MAX_LINES) found.push(`${relative(__dirname, file).split(sep).join('/')}:${first + 1} ${name} (${last - first + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('functions', () => {
  it(`take at most ${MAX_LINES} lines in ${FOLDERS.join(', ')}`, () => {
    const files = FOLDERS.flatMap((folder) =>
      readdirSync(join(__dirname, folder), { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
        .map((name) => join(__dirname, folder, name)),
    );
    expect(files.flatMap(longFunctions)).toEqual([]);
  });
});
