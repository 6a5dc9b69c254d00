// The last lines of every benchmark: one per figure, `bench <name>: <figure> <value> (goal <op> <goal>) ok|SHORT`,
// so a reader and a script (grep ' SHORT$') see at a glance what holds. A SHORT figure does not fail
// the run (`make bench` goes on to the next benchmark); a wrong result does.

export type GoalOp = '>=' | '<=';

export interface Goal {
  op: GoalOp;
  value: number;
}

/** Prints the figure's line; true when the goal holds. `unit` follows both numbers ("x", " s", " MB", "/s", "%"). */
export function figure(bench: string, name: string, value: number, goal: Goal, unit = '', digits = 2): boolean {
  const ok = Number.isFinite(value) && (goal.op === '>=' ? value >= goal.value : value <= goal.value);
  const fmt = (n: number) => `${n.toFixed(digits)}${unit}`;
  console.log(`bench ${bench}: ${name} ${fmt(value)} (goal ${goal.op} ${fmt(goal.value)}) ${ok ? 'ok' : 'SHORT'}`);
  return ok;
}

export const atLeast = (value: number): Goal => ({ op: '>=', value });
export const atMost = (value: number): Goal => ({ op: '<=', value });
