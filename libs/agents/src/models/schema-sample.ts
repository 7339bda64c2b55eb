type Schema = Record<string, unknown>;

/**
 * A deterministic JSON value that matches a JSON Schema (the subset zod's toJSONSchema and
 * the built-in agents write: object, array, string, number, integer, boolean, null, enum,
 * const, anyOf/oneOf, $ref to $defs): every property is present, an array has one item, an
 * enum takes its first value, a number its minimum (else 0), and a string is `text`. The
 * offline model answers structured-output requests with it.
 */
export function sampleOf(root: Schema, text: string): unknown {
  const defs = ((root.$defs ?? root.definitions) as Record<string, Schema> | undefined) ?? {};
  const sample = (schema: Schema, depth: number): unknown => {
    if (depth > 8) return null;
    if (typeof schema.$ref === 'string') return sample(defs[schema.$ref.replace(/^#\/(\$defs|definitions)\//, '')] ?? {}, depth + 1);
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) return schema.enum[0];
    const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (options?.length) return sample(options[0], depth + 1);
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'object': {
        const properties = (schema.properties ?? {}) as Record<string, Schema>;
        return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, sample(v, depth + 1)]));
      }
      case 'array':
        return schema.items ? [sample(schema.items as Schema, depth + 1)] : [];
      case 'number':
      case 'integer':
        return typeof schema.minimum === 'number' ? schema.minimum : 0;
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return text;
    }
  };
  return sample(root, 0);
}
