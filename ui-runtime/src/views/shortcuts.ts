import { onBeforeUnmount, onMounted } from 'vue';

/** Whether the key was typed into a field, where it is text, not a command. */
function typing(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  return !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/**
 * Keyboard shortcuts of every screen: `/` focuses the screen's search (the list's quick search or the
 * shop floor's scan field), `Alt+N` opens a new record where the screen offers one; forms save with
 * Ctrl/⌘+S (FormView).
 */
export function useShortcuts(): void {
  function onKey(event: KeyboardEvent): void {
    if (event.key === '/' && !typing(event) && !event.ctrlKey && !event.metaKey) {
      const search = document.querySelector<HTMLInputElement>('input[name="search"], #shop-scan');
      if (search) {
        event.preventDefault();
        search.focus();
      }
    } else if (event.altKey && event.key.toLowerCase() === 'n') {
      const create = document.querySelector<HTMLButtonElement>('[data-action="create"]');
      if (create) {
        event.preventDefault();
        create.click();
      }
    }
  }
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
