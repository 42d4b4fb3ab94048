/**
 * The users list on every open page, read again every second (so a change from another page or a hand
 * edit of the users file shows within 2 s), and the admin panel's Users block: add, rename, make admin,
 * remove.
 */
import { getJson, messageOf, postJson } from "./api.js";
import { errorLine, h, setHidden, setText, showError, withBusy } from "./dom.js";
import { KeyedList } from "./keyed.js";
import { Poller } from "./poller.js";

export interface UserEntry {
  name: string;
  is_admin: boolean;
}

export interface UsersAnswer {
  users: UserEntry[];
  warnings: string[];
}

/** How often the users list is read. */
const USERS_POLL_MS = 1000;

/** Polls `GET /users` and tells `listener` whenever the list or its warnings change. */
export class UsersRoster {
  private last = "";
  private readonly poller: Poller;

  constructor(private readonly listener: (answer: UsersAnswer) => void) {
    this.poller = new Poller(async () => {
      this.take(await getJson<UsersAnswer>("/users"));
      return USERS_POLL_MS;
    });
  }

  start(): void {
    this.poller.start();
  }

  /** An answer that carries the list (from a change made on this page). */
  take(answer: UsersAnswer): void {
    const seen = JSON.stringify([answer.users, answer.warnings]);
    if (seen === this.last) return;
    this.last = seen;
    this.listener(answer);
  }
}

class UserRow {
  readonly root: HTMLLIElement;
  private readonly name = h("strong", { class: "user-name" });
  private readonly badge = h("span", { class: "tag", text: "admin" });
  private readonly admin = h("button", { class: "btn secondary small", attrs: { type: "button" } });
  private readonly rename = h("button", {
    class: "btn ghost small",
    text: "Rename",
    attrs: { type: "button" },
  });
  private readonly remove = h("button", {
    class: "btn danger small",
    text: "Remove",
    attrs: { type: "button" },
  });
  private readonly form: HTMLFormElement;
  private readonly input: HTMLInputElement;
  private readonly error = errorLine();
  user: UserEntry;

  constructor(
    user: UserEntry,
    private readonly panel: UsersPanel,
  ) {
    this.user = user;
    const inputId = `rename-${Math.random().toString(36).slice(2)}`;
    this.input = h("input", {
      attrs: { id: inputId, type: "text", maxlength: "64", autocomplete: "off", spellcheck: "false" },
    });
    this.form = h(
      "form",
      { class: "user-rename", attrs: { action: "#", novalidate: "" } },
      h("label", { text: `New name for ${user.name}`, attrs: { for: inputId, class: "visually-hidden" } }),
      this.input,
      h("button", { class: "btn primary small", text: "Save", attrs: { type: "submit" } }),
      h("button", { class: "btn ghost small", text: "Cancel", attrs: { type: "button", "data-cancel": "" } }),
    );
    this.form.hidden = true;
    this.root = h(
      "li",
      { class: "user" },
      h("div", { class: "user-head" }, this.name, this.badge),
      h("div", { class: "row-actions" }, this.admin, this.rename, this.remove),
      this.form,
      this.error,
    );
    this.admin.addEventListener(
      "click",
      () => void this.act(this.admin, { action: "set_admin", is_admin: !this.user.is_admin }),
    );
    this.rename.addEventListener("click", () => {
      this.form.hidden = false;
      this.input.value = this.user.name;
      this.input.select();
    });
    this.form.querySelector("[data-cancel]")?.addEventListener("click", () => {
      this.form.hidden = true;
      this.rename.focus();
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const submit = this.form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
      void this.act(submit, { action: "rename", new_name: this.input.value });
    });
    this.remove.addEventListener("click", () => void this.doRemove());
  }

  update(user: UserEntry): void {
    this.user = user;
    setText(this.name, user.name);
    setHidden(this.badge, !user.is_admin);
    setText(this.admin, user.is_admin ? "Not admin" : "Make admin");
    this.admin.setAttribute(
      "aria-label",
      user.is_admin ? `Take admin from ${user.name}` : `Make ${user.name} an admin`,
    );
    this.rename.setAttribute("aria-label", `Rename ${user.name}`);
    this.remove.setAttribute("aria-label", `Remove ${user.name}`);
  }

  private async doRemove(): Promise<void> {
    const ok = await this.panel.confirm({
      title: `Remove ${this.user.name}?`,
      body: `${this.user.name} can no longer pick their name. Their output folder and everything in it stay.`,
      confirm: `Remove ${this.user.name}`,
      danger: true,
    });
    if (ok) await this.act(this.remove, { action: "remove" });
  }

  private async act(button: HTMLButtonElement, change: Record<string, unknown>): Promise<void> {
    showError(this.error, null);
    try {
      await withBusy(button, null, () => this.panel.send({ ...change, name: this.user.name }));
      this.form.hidden = true;
    } catch (error) {
      showError(this.error, messageOf(error));
    }
  }
}

export interface UsersPanelElements {
  list: HTMLUListElement;
  form: HTMLFormElement;
  name: HTMLInputElement;
  admin: HTMLInputElement;
  error: HTMLElement;
}

export class UsersPanel {
  private readonly rows: KeyedList<UserEntry, UserRow>;

  constructor(
    private readonly el: UsersPanelElements,
    private readonly hooks: {
      changed: (answer: UsersAnswer) => void;
      confirm: (options: {
        title: string;
        body: string;
        confirm: string;
        danger?: boolean;
      }) => Promise<boolean>;
      announce: (text: string) => void;
    },
  ) {
    this.rows = new KeyedList(
      el.list,
      (user) => user.name,
      (user) => new UserRow(user, this),
      (row, user) => row.update(user),
    );
    el.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.add();
    });
  }

  readonly confirm = (options: { title: string; body: string; confirm: string; danger?: boolean }) =>
    this.hooks.confirm(options);

  render(users: UserEntry[]): void {
    this.rows.render(users);
  }

  /** Sends one change; the answer's list is shown at once. */
  async send(change: Record<string, unknown>): Promise<void> {
    const answer = await postJson<UsersAnswer>("/users_action", change);
    this.hooks.changed(answer);
    this.hooks.announce(`The users list was changed.`);
  }

  private async add(): Promise<void> {
    const submit = this.el.form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    showError(this.el.error, null);
    try {
      await withBusy(submit, "Adding…", () =>
        this.send({ action: "add", name: this.el.name.value, is_admin: this.el.admin.checked }),
      );
      this.el.name.value = "";
      this.el.admin.checked = false;
      this.el.name.focus();
    } catch (error) {
      showError(this.el.error, messageOf(error));
    }
  }
}
