/**
 * Spreadsheet formula injection (OWASP "CSV injection"): a text cell starting with `=`, `+`, `-`, `@`,
 * tab or CR — or their full-width forms, which some spreadsheets normalise — is run as a formula when
 * the exported file is opened. Exported text cells get a leading apostrophe, which spreadsheets read
 * as "this is text"; numbers are never touched. Import removes exactly one such apostrophe, so an
 * exported file imports back unchanged (a value that itself starts with apostrophes before a
 * trigger character gains one on export and loses it again on import). The server's CSV and Excel
 * exports and the browser's dashboard export share this rule.
 */
const FORMULA_START = /^'*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function restoreFormulaText(text: string): string {
  return text.startsWith("'") && FORMULA_START.test(text) ? text.slice(1) : text;
}
