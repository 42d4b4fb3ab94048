/**
 * Where a request of an artist goes when ComfyUI runs as several instances: only to a running one that
 * knows their ComfyUI user (the placement rule, see comfy-users.ts), however less used another is. When
 * none of the running ones does (their user was made after those started), a stopped instance is started
 * for them, as it reads users.json when it starts; when none can start, the answer says so. An artist
 * without a user yet goes where placement puts them and gets one made there.
 */
import type { ToolDefinition } from "../tools/registry.js";
import type { ToolService } from "../tools/service.js";
import type { ToolSupervisor } from "../tools/supervisor.js";
import type { Who } from "../users/who.js";
import { StudioError } from "../util/errors.js";
import type { ComfyUsers } from "./comfy-users.js";

/** A 503 the gateway answers (as a page or JSON). */
export interface NotKnown {
  ok: false;
  status: 503;
  title: string;
  sentence: string;
}

/** Makes placement send each artist only to an instance of `tool` that knows their ComfyUI user. */
export function placeByComfyUser(tools: ToolService, tool: ToolDefinition, users: ComfyUsers): void {
  tools.placement.setRule(tool.id, (artist, index, instance) => users.fits(artist, index, instance));
}

/** The instance for `who`'s request (null when none runs), or why none can take them now. */
export async function placeComfyArtist(
  tools: ToolService,
  users: ComfyUsers,
  tool: ToolDefinition,
  who: Who,
  instances: readonly ToolSupervisor[],
): Promise<number | null | NotKnown> {
  await users.survey(instances);
  const index = tools.placement.forRequest(tool.id, who.artist, instances);
  const instance = index === null ? undefined : instances[index];
  if (!instance || !who.artist || users.fits(who.artist, index!, instance)) return index;
  if (instances.some((other) => !other.isActive && other.startProblem() === null)) {
    try {
      return instances.indexOf(tools.start(who, tool.id).instance);
    } catch (error) {
      // A job for the tool waits: no instance can start now.
      if (!(error instanceof StudioError)) throw error;
    }
  }
  return {
    ok: false,
    status: 503,
    title: `${tool.name} does not know ${who.artist} yet`,
    sentence: `${tool.name} learns about ${who.artist} when it restarts; ask an admin to restart it.`,
  };
}
