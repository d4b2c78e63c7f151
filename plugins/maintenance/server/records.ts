export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));

export const round = (value: number, digits: number): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC, the engine's stored datetime form. */
export function dbDateTime(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '');
}
