/** Where a JSON value nests deeper than allowed: the path of the first container past the limit, and its depth. */
export interface JsonTooDeep {
  /** Like a validation issue's path (`plan.tasks[0].input.a`); empty for the value itself. */
  readonly path: string;
  readonly depth: number;
}

/** Object keys longer than this are cut in a reported path. */
const PATH_KEY_CHARS = 40;
/** A reported path keeps this many characters of its start and of its end. */
const PATH_END_CHARS = 200;

interface Visit {
  readonly value: unknown;
  readonly depth: number;
  readonly key: string | number | undefined;
  readonly parent: Visit | undefined;
}

/**
 * Finds the first object or array of a parsed JSON value that sits deeper than `maxDepth`
 * containers (the value itself being the first). The walk keeps its own stack, so a value of any
 * depth is checked without recursion: it is what keeps recursive code (schema validation,
 * serialisation) from overflowing the call stack on such input.
 */
export function findTooDeep(value: unknown, maxDepth: number): JsonTooDeep | undefined {
  const pending: Visit[] = [{ value, depth: 1, key: undefined, parent: undefined }];
  while (pending.length > 0) {
    const visit = pending.pop()!;
    if (visit.value === null || typeof visit.value !== 'object') continue;
    if (visit.depth > maxDepth) return { path: pathOf(visit), depth: visit.depth };
    if (Array.isArray(visit.value)) {
      visit.value.forEach((item, index) => pending.push({ value: item, depth: visit.depth + 1, key: index, parent: visit }));
    } else {
      for (const [key, item] of Object.entries(visit.value)) pending.push({ value: item, depth: visit.depth + 1, key, parent: visit });
    }
  }
  return undefined;
}

function pathOf(visit: Visit): string {
  const parts: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) parts.push(at.key);
  const path = parts.reverse().reduce<string>((path, part) => {
    if (typeof part === 'number') return `${path}[${part}]`;
    const name = part.length > PATH_KEY_CHARS ? `${part.slice(0, PATH_KEY_CHARS)}…` : part;
    return path ? `${path}.${name}` : name;
  }, '');
  return path.length > 2 * PATH_END_CHARS ? `${path.slice(0, PATH_END_CHARS)}…${path.slice(-PATH_END_CHARS)}` : path;
}
