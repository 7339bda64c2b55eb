/**
 * Checks a finished session's view against the plan's semantics: every task started only after
 * its dependencies, its children and its ancestors' dependencies had finished, and its agent got
 * exactly their results (`inputFrom`). An ancestor's dependency inside the ancestor's own subtree
 * is not passed down (the ancestor waits for it as its descendant). Answers one line per breach.
 */
export function runOrderViolations(session: { tasks: any[] }): string[] {
  const byId = new Map<string, any>(session.tasks.map((t) => [t.id, t]));
  const ancestorsOf = (id: string): string[] => {
    const out: string[] = [];
    for (let p = byId.get(id)?.parentId; p; p = byId.get(p)?.parentId) out.push(p);
    return out;
  };
  const violations: string[] = [];
  for (const task of session.tasks) {
    const children = session.tasks.filter((t) => t.parentId === task.id).map((t) => t.id);
    const inherited = ancestorsOf(task.id).flatMap((a) => byId.get(a).dependsOn.filter((dep: string) => !ancestorsOf(dep).includes(a)));
    const before = [...new Set([...task.dependsOn, ...inherited, ...children])];
    for (const id of before) {
      const prerequisite = byId.get(id);
      if (!(Date.parse(task.startedAt) >= Date.parse(prerequisite?.finishedAt))) {
        const why = inherited.includes(id) && !task.dependsOn.includes(id) ? "an ancestor's dependency" : children.includes(id) ? 'a child' : 'a dependency';
        violations.push(`${task.id} started at ${task.startedAt}, before ${id} (${why}) finished at ${prerequisite?.finishedAt}`);
      }
    }
    const got = [...(task.inputFrom ?? [])].sort();
    if (JSON.stringify(got) !== JSON.stringify([...before].sort())) {
      violations.push(`${task.id} got the results of [${got.join(', ')}], not of [${[...before].sort().join(', ')}]`);
    }
  }
  return violations;
}
