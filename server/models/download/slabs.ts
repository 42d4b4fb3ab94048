/**
 * The run's write buffers: bodies are copied out of their connection's read buffer into 1 MiB slabs, which
 * are written to the `.part` and then used again, so a download allocates a few slabs in all instead of a
 * buffer per chunk (and the garbage collector has nothing to do). Free slabs beyond `keep` are dropped.
 *
 * ```ts
 * const slabs = new SlabPool();
 * const slab = slabs.take(); // ... written ...
 * slabs.give(slab);
 * ```
 */

export const SLAB_BYTES = 1024 * 1024;

export class SlabPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep = 32) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(SLAB_BYTES);
  }

  give(slab: Buffer): void {
    if (this.free.length < this.keep) this.free.push(slab);
  }
}
