/**
 * The pod's idle stop: when the studio plans to stop the pod (`GET /pod` has `stop_at`), every open page
 * says when, counting down, with "Keep the pod running" (`POST /keep_alive {}`).
 */
import { ApiError, clock, getJson, messageOf, postJson } from "./api.js";
import { byId, setHidden, setText } from "./dom.js";
import { duration } from "./format.js";
import { Poller } from "./poller.js";

interface PodState {
  idle_since: string | null;
  stop_at: string | null;
  stop_enabled: boolean;
}

export class PodBanner {
  private readonly banner = byId("pod-warning", HTMLElement);
  private readonly text = byId("pod-warning-text", HTMLElement);
  private readonly keep = byId("pod-keep", HTMLButtonElement);
  private stopAt: number | null = null;
  private problem: string | null = null;
  private readonly poller = new Poller(async () => {
    try {
      const pod = await getJson<PodState>("/pod");
      this.stopAt = pod.stop_enabled && pod.stop_at ? Date.parse(pod.stop_at) : null;
    } catch (error) {
      // A studio without idle stops has nothing to say here.
      if (error instanceof ApiError && error.status === 404) {
        this.poller.stop();
        return 0;
      }
      throw error;
    }
    this.tick();
    return this.stopAt === null ? 10_000 : 3000;
  });

  constructor() {
    this.keep.addEventListener("click", () => void this.keepRunning());
  }

  start(): void {
    this.poller.start();
  }

  tick(): void {
    if (this.stopAt === null || Number.isNaN(this.stopAt)) {
      setHidden(this.banner, true);
      return;
    }
    const left = this.stopAt - clock.now();
    setText(
      this.text,
      this.problem ??
        (left > 0
          ? `The pod stops in ${duration(left)}: nothing has been used for a while (the volume is kept).`
          : "The pod is being stopped: nothing was used for a while (the volume is kept)."),
    );
    setHidden(this.banner, false);
  }

  private async keepRunning(): Promise<void> {
    this.keep.disabled = true;
    this.problem = null;
    try {
      await postJson("/keep_alive", {});
    } catch (error) {
      this.problem = `The pod could not be kept running: ${messageOf(error)}`;
    } finally {
      this.keep.disabled = false;
      this.poller.now();
    }
  }
}
