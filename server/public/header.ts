/**
 * The page's header: the name picker (its list follows the users file), the admin mode switch with its
 * password dialog, and Log out. Every change of who this browser is goes through `hooks.apply`.
 */
import { messageOf, postJson } from "./api.js";
import { byId, h, maybeId, showError } from "./dom.js";
import { KeyedList } from "./keyed.js";
import type { Me } from "./types.js";
import type { UserEntry } from "./users.js";

export interface HeaderHooks {
  me: () => Me;
  apply: (next: Me) => void;
  announce: (text: string) => void;
}

type Answer = { artist: string | null; is_admin: boolean; admin_mode?: boolean };

export class Header {
  private readonly select = byId("artist", HTMLSelectElement);
  private readonly artistError = byId("artist-error", HTMLElement);
  private readonly adminCheckbox = byId("admin-mode", HTMLInputElement);
  private readonly adminError = byId("admin-error", HTMLElement);
  private readonly dialog = byId("admin-dialog", HTMLDialogElement);
  private readonly dialogForm = byId("admin-dialog-form", HTMLFormElement);
  private readonly password = byId("admin-password", HTMLInputElement);
  private readonly dialogError = byId("admin-dialog-error", HTMLElement);
  private readonly options: KeyedList<UserEntry, { root: HTMLOptionElement }>;

  constructor(
    private readonly hooks: HeaderHooks,
    private readonly passwordRequired: boolean,
  ) {
    this.options = new KeyedList(
      this.select,
      (user) => user.name,
      (user) => ({ root: h("option", { attrs: { value: user.name } }) }),
      (option, user) => {
        const label = user.name === "" ? "Pick your name…" : `${user.name}${user.is_admin ? " (admin)" : ""}`;
        if (option.root.textContent !== label) option.root.textContent = label;
        option.root.disabled = user.name === "";
      },
      // The server rendered the names already: those options are kept.
      (element) => (element instanceof HTMLOptionElement ? [element.value, { root: element }] : null),
    );
    byId("artist-form", HTMLFormElement).addEventListener("submit", (event) => event.preventDefault());
    this.select.addEventListener("change", () => void this.pick());
    this.adminCheckbox.addEventListener("change", () => this.switchAdmin());
    this.dialogForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submitPassword();
    });
    byId("admin-dialog-cancel", HTMLButtonElement).addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => {
      this.password.value = "";
      this.adminCheckbox.focus();
    });
    const logout = maybeId("logout", HTMLButtonElement);
    logout?.addEventListener("click", () => {
      const error = byId("logout-error", HTMLElement);
      showError(error, null);
      logout.disabled = true;
      postJson("/logout")
        .then(() => location.reload())
        .catch((failure: unknown) => {
          showError(error, `Logging out failed: ${messageOf(failure)}`);
          logout.disabled = false;
        });
    });
  }

  /** The picker's names, as the users file has them now (the chosen one stays chosen). */
  setUsers(users: UserEntry[]): void {
    const me = this.hooks.me();
    this.options.render([{ name: "", is_admin: false }, ...users]);
    this.select.value = me.artist !== null && users.some((user) => user.name === me.artist) ? me.artist : "";
  }

  showMe(me: Me): void {
    this.adminCheckbox.checked = me.adminMode;
  }

  private async pick(): Promise<void> {
    const chosen = this.select.value;
    const previous = this.hooks.me().artist;
    if (!chosen) return;
    showError(this.artistError, null);
    this.select.setAttribute("aria-busy", "true");
    try {
      const answer = await postJson<Answer>("/set_artist", { artist: chosen });
      this.hooks.apply({
        artist: answer.artist,
        isAdmin: answer.is_admin,
        adminMode: answer.admin_mode === true,
      });
      if (answer.artist !== null && this.select.value !== answer.artist) this.select.value = answer.artist;
      this.hooks.announce(`You are ${answer.artist}${answer.is_admin ? ", an admin" : ""}.`);
    } catch (error) {
      this.select.value = previous ?? "";
      showError(this.artistError, `Your name could not be set: ${messageOf(error)}`);
    } finally {
      this.select.removeAttribute("aria-busy");
    }
  }

  private async setAdminMode(on: boolean, password?: string): Promise<void> {
    const body: Record<string, unknown> = { admin_mode: on };
    if (password !== undefined) body.password = password;
    const answer = await postJson<Answer>("/set_admin_mode", body);
    const me = this.hooks.me();
    this.hooks.apply({
      artist: answer.artist ?? me.artist,
      isAdmin: answer.is_admin ?? me.isAdmin,
      adminMode: answer.admin_mode === true,
    });
    this.hooks.announce(answer.admin_mode ? "Admin mode is on." : "Admin mode is off.");
  }

  private switchAdmin(): void {
    const wanted = this.adminCheckbox.checked;
    const me = this.hooks.me();
    showError(this.adminError, null);
    // The switch shows the studio's answer, not the click.
    this.adminCheckbox.checked = me.adminMode;
    if (wanted && this.passwordRequired) {
      this.password.value = "";
      byId("admin-user", HTMLInputElement).value = me.artist ?? "";
      showError(this.dialogError, null);
      this.dialog.showModal();
      this.password.focus();
      return;
    }
    this.adminCheckbox.disabled = true;
    this.setAdminMode(wanted)
      .catch((error: unknown) => showError(this.adminError, messageOf(error)))
      .finally(() => {
        this.adminCheckbox.disabled = false;
        this.adminCheckbox.focus();
      });
  }

  private async submitPassword(): Promise<void> {
    const submit = this.dialogForm.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (submit) submit.disabled = true;
    showError(this.dialogError, null);
    try {
      await this.setAdminMode(true, this.password.value);
      this.password.value = "";
      this.dialog.close();
      this.adminCheckbox.focus();
    } catch (error) {
      showError(this.dialogError, messageOf(error));
      this.password.select();
    } finally {
      if (submit) submit.disabled = false;
    }
  }
}
