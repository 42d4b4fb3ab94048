/**
 * The page's one list reconciler: a list of items shown as one view per key, built once, updated in
 * place on every poll (focus, open details and typed text survive), removed when its item goes, and
 * moved only when out of order.
 *
 * ```ts
 * const cards = new KeyedList(list, (tool) => tool.tool_id, (tool) => new ToolCard(tool), (card, tool) => card.update(tool));
 * cards.render(tools);
 * ```
 *
 * A list the server already rendered (the name picker) is taken over with `adopt`: each element it names
 * becomes the view of its key, so nothing is built twice.
 */

export interface View {
  readonly root: HTMLElement;
}

export class KeyedList<T, V extends View> {
  readonly views = new Map<string, V>();

  constructor(
    private readonly parent: HTMLElement,
    private readonly key: (item: T) => string,
    private readonly create: (item: T) => V,
    private readonly update: (view: V, item: T) => void,
    adopt?: (element: HTMLElement) => [string, V] | null,
  ) {
    if (!adopt) return;
    for (const child of Array.from(parent.children)) {
      const taken = child instanceof HTMLElement ? adopt(child) : null;
      if (taken) this.views.set(...taken);
    }
  }

  render(items: readonly T[]): void {
    const wanted = new Set(items.map(this.key));
    for (const [key, view] of this.views) {
      if (!wanted.has(key)) {
        view.root.remove();
        this.views.delete(key);
      }
    }
    // Anything in the list that is not one of its views (a placeholder) goes.
    const own = new Set(Array.from(this.views.values(), (view) => view.root));
    for (const child of Array.from(this.parent.children)) if (!own.has(child as HTMLElement)) child.remove();
    items.forEach((item, index) => {
      const key = this.key(item);
      let view = this.views.get(key);
      if (!view) {
        view = this.create(item);
        this.views.set(key, view);
      }
      this.update(view, item);
      if (this.parent.children[index] !== view.root)
        this.parent.insertBefore(view.root, this.parent.children[index] ?? null);
    });
  }

  get(key: string): V | undefined {
    return this.views.get(key);
  }

  get size(): number {
    return this.views.size;
  }
}
