/** Small helpers for printing benchmark figures. */
export function summary(values: number[]): { median: number; p90: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p90: at(0.9), min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}

export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

export function line(label: string, value: string): void {
  console.log(`  ${label.padEnd(52)} ${value}`);
}

/** "median (min–max)" of `values` formatted by `format`. */
export function spread(values: number[], format: (value: number) => string): string {
  const s = summary(values);
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

/** One figure beside its goal, and whether it is met. */
export function goal(label: string, figure: string, target: string, met: boolean): void {
  console.log(`  ${label.padEnd(52)} ${figure.padEnd(28)} goal ${target}: ${met ? "met" : "NOT met"}`);
}
