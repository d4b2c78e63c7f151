/** UTC `YYYY-MM-DD HH:MM:SS.mmm`, accepted by MySQL DATETIME and compared as text on SQLite. */
export function sqlTime(time: Date): string {
  return time.toISOString().slice(0, 23).replace('T', ' ');
}

/** `(?, ?, …)` for an IN list of n parameters. */
export function placeholders(count: number): string {
  return `(${Array.from({ length: count }, () => '?').join(', ')})`;
}
