/**
 * The tool cards: one per tool, built here from the statuses (the server's first answer is in the page)
 * and kept in step with every poll by the page's one list reconciler.
 */
import { KeyedList } from "./keyed.js";
import { ToolCard } from "./tool-card.js";
import type { ToolStatus } from "./types.js";
import type { ToolsHooks } from "./tool-card.js";

export type { ToolsHooks };

export class ToolsView {
  private readonly cards: KeyedList<ToolStatus, ToolCard>;

  constructor(list: HTMLUListElement, hooks: ToolsHooks) {
    this.cards = new KeyedList(
      list,
      (tool) => tool.tool_id,
      (tool) => new ToolCard(tool, hooks),
      (card, tool) => card.update(tool),
    );
  }

  get tools(): ToolStatus[] {
    return Array.from(this.cards.views.values(), (card) => card.tool);
  }

  get busy(): boolean {
    return this.tools.some((tool) => tool.state === "starting" || tool.state === "stopping");
  }

  name(toolId: string): string {
    return this.cards.get(toolId)?.tool.name ?? toolId;
  }

  render(tools: ToolStatus[]): void {
    this.cards.render(tools);
  }

  /** One tool's status, from an action's answer. */
  updateOne(status: ToolStatus): void {
    this.cards.get(status.tool_id)?.update(status);
  }

  /** Re-renders with the current data (after the artist, admin mode or the jobs changed). */
  refresh(): void {
    this.cards.render(this.tools);
  }

  tick(): void {
    for (const card of this.cards.views.values()) card.tick();
  }

  setFollowed(source: string | null): void {
    for (const [id, card] of this.cards.views) card.setFollowed(id === source);
  }
}
