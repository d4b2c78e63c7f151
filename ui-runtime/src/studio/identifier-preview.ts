/**
 * The next codes an identifier pattern gives (`EP-{YYYYMMDD}-{seq:3}` → EP-20261206-001, -002, -003):
 * dates from today, fields shown by name, the sequence counting from 1.
 */
export function nextCodes(pattern: string, count = 3, today = new Date()): string[] {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const date = (format: string) => {
    const y = String(today.getFullYear());
    const m = pad(today.getMonth() + 1, 2);
    const d = pad(today.getDate(), 2);
    return format === 'YYYY' ? y : format === 'YYYYMM' ? `${y}${m}` : `${y}${m}${d}`;
  };
  return Array.from({ length: count }, (_, index) =>
    pattern.replace(/\{([^}]+)\}/g, (_token, inner: string) => {
      const seq = /^seq:(\d+)$/.exec(inner);
      if (seq) return pad(index + 1, Number(seq[1]));
      if (/^YYYY(MM(DD)?)?$/.test(inner)) return date(inner);
      if (inner === 'TENANT') return 'DEMO';
      return `<${inner}>`;
    }),
  );
}
