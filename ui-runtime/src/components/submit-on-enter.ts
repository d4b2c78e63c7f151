/**
 * Enter in a plain text or number input submits a dialog's form (keyboard users and scanners that
 * end with Enter); in selects, date pickers and text areas Enter keeps its own meaning.
 */
export function submitOnEnter(event: KeyboardEvent, submit: () => unknown): void {
  const target = event.target as HTMLElement | null;
  if (target?.tagName !== 'INPUT' || target.closest('.el-select, .el-date-editor')) return;
  event.preventDefault();
  void submit();
}
