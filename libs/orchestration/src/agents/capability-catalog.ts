/** A capability an agent can offer and a task can require; its name is also its queue's name. */
export interface Capability {
  readonly name: string;
  readonly category: string;
  readonly description: string;
  /** Only agents with `full` permission may take it. */
  readonly privileged?: boolean;
  /** Added at run time (by a worker hosting an agent that offers it, or over REST). */
  readonly custom?: boolean;
}

/** Capability names are queue names: lower snake case, so they never collide with internal keys. */
export const CAPABILITY_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Most capabilities one task may require. */
export const MAX_TASK_CAPABILITIES = 32;

/**
 * Where a list of capabilities names one again: the position of each name's first repeat
 * (one per name, at most `limit` of them), as a list names each capability once.
 */
export function repeatedCapabilities(names: readonly string[], limit = MAX_TASK_CAPABILITIES): { index: number; name: string }[] {
  const seen = new Set<string>();
  const reported = new Set<string>();
  const repeats: { index: number; name: string }[] = [];
  for (let index = 0; index < names.length && repeats.length < limit; index++) {
    const name = names[index];
    if (!seen.has(name)) seen.add(name);
    else if (!reported.has(name)) {
      reported.add(name);
      repeats.push({ index, name });
    }
  }
  return repeats;
}

/** The built-in catalog: six categories, nineteen capabilities. */
export const BUILTIN_CAPABILITIES: readonly Capability[] = [
  { name: 'task_decomposition', category: 'planning', description: 'Break a goal into a plan of tasks' },
  { name: 'dependency_analysis', category: 'planning', description: 'Find what depends on what' },
  { name: 'workflow_design', category: 'planning', description: 'Design the order and shape of work' },
  { name: 'web_research', category: 'research', description: 'Find and summarise sources on a topic' },
  { name: 'document_analysis', category: 'research', description: 'Read and extract from documents' },
  { name: 'data_synthesis', category: 'research', description: 'Combine findings into one account' },
  { name: 'code_generation', category: 'coding', description: 'Write code to a specification' },
  { name: 'code_review', category: 'coding', description: 'Review code or text for defects' },
  { name: 'code_refactoring', category: 'coding', description: 'Restructure code without changing behaviour' },
  { name: 'testing', category: 'coding', description: 'Write and run tests' },
  { name: 'email_management', category: 'communication', description: 'Draft, sort and answer email', privileged: true },
  { name: 'document_creation', category: 'communication', description: 'Write documents and reports' },
  { name: 'presentation', category: 'communication', description: 'Prepare slides and summaries' },
  { name: 'api_integration', category: 'integration', description: 'Call external HTTP APIs', privileged: true },
  { name: 'database_operations', category: 'integration', description: 'Query and change databases', privileged: true },
  { name: 'file_operations', category: 'integration', description: 'Read and write files', privileged: true },
  { name: 'data_analysis', category: 'analysis', description: 'Compute statistics over data' },
  { name: 'pattern_recognition', category: 'analysis', description: 'Find patterns and anomalies' },
  { name: 'error_diagnosis', category: 'analysis', description: 'Find the cause of a failure' },
];

export const BUILTIN_CAPABILITY_NAMES: ReadonlySet<string> = new Set(BUILTIN_CAPABILITIES.map((c) => c.name));
