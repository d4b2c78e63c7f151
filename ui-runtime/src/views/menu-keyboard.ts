/**
 * Keyboard operation of the vertical side menu (WAI-ARIA menu pattern). Element Plus gives only
 * horizontal menus a keyboard; its vertical items carry `tabindex="-1"` and sub-menu titles none. The
 * menu is one tab stop (roving tabindex): the current screen's entry when a screen opens, then the
 * entry last focused, else the first. Up/Down/Home/End move between the visible entries (items and
 * group titles), Enter/Space on an item follows it, Enter/Space/Right on a closed group opens it and
 * moves into it, Left/Escape close a group or move to the title of the group holding the entry.
 */

const ENTRY = '.el-menu-item, .el-sub-menu__title';
const TITLE = 'el-sub-menu__title';
const KEYS = ['ArrowDown', 'ArrowUp', 'Home', 'End', 'Enter', ' ', 'ArrowRight', 'ArrowLeft', 'Escape'];

/** Opens and closes a group by its key (`data-menu-key` on its `li`), resolving once rendered. */
export interface MenuGroups {
  open(key: string): Promise<void>;
  close(key: string): Promise<void>;
}

function isTitle(entry: HTMLElement): boolean {
  return entry.classList.contains(TITLE);
}

/** The group (`li.el-sub-menu`) that holds the entry; a title's own group is not counted. */
function enclosingGroup(entry: HTMLElement): HTMLElement | null {
  const from = isTitle(entry) ? entry.parentElement?.parentElement : entry.parentElement;
  return from?.closest<HTMLElement>('li.el-sub-menu') ?? null;
}

function titleOf(group: HTMLElement): HTMLElement | null {
  return group.querySelector<HTMLElement>(`:scope > .${TITLE}`);
}

function isOpen(group: HTMLElement): boolean {
  return group.classList.contains('is-opened');
}

/** The entry itself when every group around it is open, else the title of the outermost closed one. */
function shownFor(entry: HTMLElement): HTMLElement {
  let shown = entry;
  for (let group = enclosingGroup(entry); group;) {
    const title = titleOf(group);
    if (!title) break;
    if (!isOpen(group)) shown = title;
    group = enclosingGroup(title);
  }
  return shown;
}

export function menuKeyboard(root: () => HTMLElement | undefined, groups: MenuGroups) {
  function allEntries(): HTMLElement[] {
    return [...(root()?.querySelectorAll<HTMLElement>(ENTRY) ?? [])];
  }

  function visibleEntries(): HTMLElement[] {
    return allEntries().filter((entry) => shownFor(entry) === entry);
  }

  function makeTabStop(stop: HTMLElement): void {
    for (const entry of allEntries()) entry.tabIndex = entry === stop ? 0 : -1;
  }

  function focusEntry(entry: HTMLElement | undefined): void {
    if (!entry) return;
    makeTabStop(entry);
    entry.focus();
  }

  /**
   * Places the tab stop after the menu changed: on the current screen's entry when `toCurrent` (the
   * route changed), else on the entry holding it so far; an entry inside a closed group hands the stop
   * to that group's title.
   */
  function placeTabStop(toCurrent: boolean): void {
    const menu = root();
    if (!menu) return;
    const current = menu.querySelector<HTMLElement>('.el-menu-item.is-active');
    const held = menu.querySelector<HTMLElement>(`:is(${ENTRY})[tabindex="0"]`);
    const stop = (toCurrent ? (current ?? held) : (held ?? current)) ?? visibleEntries()[0];
    if (stop) makeTabStop(shownFor(stop));
  }

  function groupKey(title: HTMLElement): string | undefined {
    return title.parentElement?.dataset.menuKey;
  }

  async function openInto(title: HTMLElement): Promise<void> {
    const key = groupKey(title);
    if (key === undefined) return;
    await groups.open(key);
    // A group never opened was plain markup: its title is a new element now.
    const group = root()?.querySelector<HTMLElement>(`li[data-menu-key="${CSS.escape(key)}"]`);
    const opened = group && titleOf(group);
    if (!group || !opened) return;
    focusEntry(visibleEntries().find((entry) => entry !== opened && group.contains(entry)) ?? opened);
  }

  async function close(title: HTMLElement): Promise<void> {
    const key = groupKey(title);
    if (key === undefined) return;
    await groups.close(key);
    focusEntry(title);
  }

  function step(entry: HTMLElement, key: string): HTMLElement | undefined {
    const entries = visibleEntries();
    const at = entries.indexOf(entry);
    if (key === 'Home') return entries[0];
    if (key === 'End') return entries[entries.length - 1];
    return entries[key === 'ArrowDown' ? Math.min(at + 1, entries.length - 1) : Math.max(at - 1, 0)];
  }

  async function act(entry: HTMLElement, key: string): Promise<void> {
    const group = isTitle(entry) ? entry.parentElement : null;
    const parent = enclosingGroup(entry);
    const parentTitle = parent ? titleOf(parent) : null;
    if (key === 'ArrowDown' || key === 'ArrowUp' || key === 'Home' || key === 'End') {
      focusEntry(step(entry, key));
    } else if (key === 'Enter' || key === ' ') {
      if (!group) entry.click();
      else if (isOpen(group)) await close(entry);
      else await openInto(entry);
    } else if (key === 'ArrowRight') {
      if (group) await openInto(entry);
    } else if (group && isOpen(group)) {
      await close(entry);
    } else if (parentTitle) {
      if (key === 'Escape') await close(parentTitle);
      else focusEntry(parentTitle);
    }
  }

  /** The one keydown listener on the menu. */
  function onKeydown(event: KeyboardEvent): void {
    const entry = event.target instanceof HTMLElement ? event.target.closest<HTMLElement>(ENTRY) : null;
    if (!entry || event.altKey || event.ctrlKey || event.metaKey) return;
    if (!KEYS.includes(event.key)) return;
    // Arrow keys and Space would scroll the aside; Escape would reach the screen's own handlers.
    event.preventDefault();
    void act(entry, event.key);
  }

  /** An entry focused by a click or the keyboard keeps the tab stop. */
  function onFocusin(event: FocusEvent): void {
    const entry = event.target instanceof HTMLElement ? event.target.closest<HTMLElement>(ENTRY) : null;
    if (entry) makeTabStop(entry);
  }

  return { onKeydown, onFocusin, placeTabStop };
}
