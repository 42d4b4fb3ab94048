/**
 * The requests that change a tool itself for everyone, per tool (the registry's `changes`; the gateway's
 * `gateway/changes.ts` applies them). A rule matches a request when its method is one of `methods` and its
 * path, decoded, with runs of slashes merged and any of `strip` taken off its front (in order, each if
 * there), starts with one of `prefixes` and none of `except`; `caseless` rules compare in lower case, for
 * tools that route that way.
 */

export interface ChangeRule {
  readonly methods: readonly string[];
  readonly strip: readonly string[];
  readonly prefixes: readonly string[];
  readonly except?: readonly string[];
  readonly caseless?: boolean;
}

export interface ToolChanges {
  /** Names the changes in the refusal: "{what} are for admins on this studio ...". */
  readonly what: string;
  readonly rules: readonly ChangeRule[];
}

const WRITES = ["POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * ComfyUI-Manager (checked in its source: `/v2/...` routes in the comfyui_manager package, none in older
 * clones, all also under ComfyUI's `/api`): every POST changes nodes, models, snapshots, settings or
 * restarts ComfyUI (`os.execv`), but for its components, which the page loads at start.
 */
const COMFY_MANAGER: ChangeRule = {
  methods: WRITES,
  strip: ["/api", "/v2"],
  prefixes: ["/manager/", "/snapshot/", "/customnode/install/", "/comfyui_manager/"],
  except: ["/manager/component/"],
};

export const COMFY_CHANGES: ToolChanges = {
  what: "ComfyUI-Manager's installs, updates, snapshots, settings and restart",
  rules: [COMFY_MANAGER],
};

/**
 * SwarmUI routes `/API/{call}` (HTTP POST, or a WebSocket for `...WS` calls) in lower case. These calls
 * change the server for everyone (in its source they need the Shutdown, Restart, ManageExtensions,
 * EditServerSettings, Install, InstallFeatures, backend, user and role permissions). Its ComfyUI backend
 * is reached at `/ComfyBackendDirect/...`, ComfyUI-Manager included.
 */
export const SWARM_CHANGES: ToolChanges = {
  what: "SwarmUI's server settings, extensions, backends, users, updates and shutdown (and ComfyUI-Manager's changes in its ComfyUI)",
  rules: [
    {
      methods: ["GET", ...WRITES],
      strip: [],
      caseless: true,
      prefixes: [
        "/api/admin",
        "/api/debug",
        "/api/serverdebugmessage",
        "/api/changeserversettings",
        "/api/shutdownserver",
        "/api/updateandrestart",
        "/api/installextension",
        "/api/updateextension",
        "/api/uninstallextension",
        "/api/setextensionenabled",
        "/api/installconfirmws",
        "/api/installdotnetupdate",
        "/api/comfyinstallfeatures",
        "/api/comfyupdatetorch",
        "/api/addnewbackend",
        "/api/editbackend",
        "/api/deletebackend",
        "/api/togglebackend",
        "/api/restartbackends",
      ],
    },
    { ...COMFY_MANAGER, strip: ["/comfybackenddirect", ...COMFY_MANAGER.strip], caseless: true },
  ],
};

/**
 * AI-Toolkit's UI keeps one settings record for everyone (`ui/src/app/api/settings/route.ts`): its Hugging
 * Face token and its training, datasets and models folders. Reading it stays open (the new-job and dataset
 * pages read the folders).
 */
export const AI_TOOLKIT_CHANGES: ToolChanges = {
  what: "AI-Toolkit's settings (its Hugging Face token and folders)",
  rules: [{ methods: WRITES, strip: [], prefixes: ["/api/settings"] }],
};
