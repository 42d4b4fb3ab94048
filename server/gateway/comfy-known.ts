/**
 * Which ComfyUI user ids each instance knows, when several share one users.json: an instance knows what
 * users.json held when it was prepared to start (ComfyUI reads the file once, as it starts) and the users
 * made on it since. Once an instance is ready it is asked (`GET /users` answers what it knows), once per
 * run: that is how the studio knows an instance it took back after a restart, and it corrects a file read
 * while another instance was rewriting it.
 */
import type { Logger } from "pino";
import { getUsers } from "./comfy-api.js";

/** What the knowledge needs of an instance (a ToolSupervisor). */
export interface Instance {
  readonly portReady: boolean;
  readonly targetPort: number | null;
}

interface Knowledge {
  /** The ids it read at start, or as it answered; null when not known (taken back, not answering). */
  ids: Set<string> | null;
  /** The ids made on it since. */
  created: Set<string>;
  /** Whether this run was asked. */
  asked: boolean;
}

export class InstanceKnowledge {
  private readonly byIndex = new Map<number, Knowledge>();
  private readonly asking = new Map<number, Promise<void>>();

  constructor(
    private readonly logger: Logger,
    /** Takes in the users an instance named (it may know an artist the studio lost track of). */
    private readonly learn: (users: Record<string, string>) => Promise<void>,
  ) {}

  /** Instance `index` starts with users.json holding `ids`. */
  prepared(index: number, ids: readonly string[]): void {
    this.byIndex.set(index, { ids: new Set(ids), created: new Set(), asked: false });
  }

  /** User `id` was made on instance `index`. */
  created(index: number, id: string): void {
    this.byIndex.get(index)?.created.add(id);
  }

  /**
   * Whether instance `index` may take an artist whose id is `id`: yes when they have none (it is made
   * there), while it starts (it reads users.json then), and when what it knows is not known; else when it
   * knows the id.
   */
  fits(id: string | undefined, index: number, instance: Instance): boolean {
    if (id === undefined || !instance.portReady) return true;
    const known = this.byIndex.get(index);
    if (!known?.ids) return true;
    return known.ids.has(id) || known.created.has(id);
  }

  /** Asks each ready instance not yet asked in its run which users it knows. */
  async survey(instances: readonly Instance[]): Promise<void> {
    const asks: Promise<void>[] = [];
    instances.forEach((instance, index) => {
      const port = instance.targetPort;
      if (!instance.portReady || port === null || this.byIndex.get(index)?.asked) return;
      let pending = this.asking.get(index);
      if (!pending) {
        pending = this.ask(index, port).finally(() => this.asking.delete(index));
        this.asking.set(index, pending);
      }
      asks.push(pending);
    });
    await Promise.all(asks);
  }

  private async ask(index: number, port: number): Promise<void> {
    const before = this.byIndex.get(index);
    const users = await getUsers(port).catch((error: unknown) => {
      this.logger.warn(
        { err: error, instance: index },
        "a ComfyUI instance did not say which users it knows",
      );
      return null;
    });
    // Prepared for a new run meanwhile: this answer was about the last one.
    if (this.byIndex.get(index) !== before) return;
    const known = before ?? { ids: null, created: new Set<string>(), asked: false };
    known.asked = true;
    if (users) known.ids = new Set(Object.keys(users));
    this.byIndex.set(index, known);
    if (users) await this.learn(users);
  }
}
