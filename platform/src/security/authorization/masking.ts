/** How a sensitive value is shown to readers without the unmask permission. */
export type MaskStyle = 'phone' | 'email' | 'all';

const MASK = '****';

/** phone keeps the last 4 characters, email the first 2 and the domain, anything else is fully masked. */
export function maskValue(value: unknown, style: MaskStyle | undefined): unknown {
  if (value === null || value === undefined || value === '') return value;
  const text = String(value);
  if (style === 'phone' && text.length > 4) return `${MASK}${text.slice(-4)}`;
  if (style === 'email') {
    const at = text.lastIndexOf('@');
    if (at > 0) return `${text.slice(0, Math.min(2, at))}${MASK}${text.slice(at)}`;
  }
  return MASK;
}
