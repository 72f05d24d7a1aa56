// Graph checks of a plan, done before anything starts: duplicate task ids, dependencies on
// tasks that do not exist, and dependency cycles, each reported with its field path.
export interface GraphTask {
  id: string;
  dependsOn: readonly string[];
}

export interface PlanProblem {
  /** Field path, e.g. `tasks[2].dependsOn[0]`. */
  path: string;
  what: string;
  allowed: string;
}

/**
 * An id as a JSON string: quotes, and control characters escaped, so a problem stays one line
 * (task ids are checked by the schema, a dependsOn entry only for being a string).
 */
function quoted(id: string): string {
  return JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
}

export function planGraphProblems(tasks: readonly GraphTask[]): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const firstIndex = new Map<string, number>();
  tasks.forEach((t, i) => {
    const seen = firstIndex.get(t.id);
    if (seen !== undefined) problems.push({ path: `tasks[${i}].id`, what: `duplicate task id ${quoted(t.id)} (also tasks[${seen}])`, allowed: 'an id no other task uses' });
    else firstIndex.set(t.id, i);
  });
  tasks.forEach((t, i) => {
    t.dependsOn.forEach((dep, j) => {
      if (dep === t.id) problems.push({ path: `tasks[${i}].dependsOn[${j}]`, what: `task ${quoted(t.id)} depends on itself`, allowed: 'ids of other tasks' });
      else if (!firstIndex.has(dep)) problems.push({ path: `tasks[${i}].dependsOn[${j}]`, what: `unknown task ${quoted(dep)}`, allowed: [...firstIndex.keys()].filter((k) => k !== t.id).join(', ') || 'no other task exists' });
    });
  });
  const cycle = findCycle(tasks);
  if (cycle) {
    const i = firstIndex.get(cycle[0]!)!;
    problems.push({ path: `tasks[${i}].dependsOn`, what: `dependency cycle: ${cycle.join(' -> ')}`, allowed: 'dependencies that form no cycle' });
  }
  return problems;
}

/** One dependency cycle as task ids (first id repeated at the end), or null. Self-loops are reported separately. */
export function findCycle(tasks: readonly GraphTask[]): string[] | null {
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn.filter((d) => d !== t.id)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    const s = state.get(id);
    if (s === 'done') return null;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      if (!deps.has(d)) continue;
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const t of tasks) {
    const c = visit(t.id);
    if (c) return c;
  }
  return null;
}
