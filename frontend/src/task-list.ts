// The viewer's open tasks (bpo/tasks/list), live; the panel's "My tasks" tab and the card's body.
import { LitElement, html, nothing } from "lit";
import { repeat } from "lit/directives/repeat.js";
import { errorText, listTasks } from "./api.js";
import { translator } from "./i18n.js";
import { LiveController } from "./live.js";
import { shared } from "./styles.js";
import type { Hass, Task } from "./types.js";

/** Follow a link inside HA's single-page app the way HA's own navigate() does (no page reload). */
function navigate(event: MouseEvent) {
  if (event.ctrlKey || event.metaKey || event.shiftKey) return; // a new tab or window: the browser's way
  event.preventDefault();
  history.pushState(null, "", (event.currentTarget as HTMLAnchorElement).getAttribute("href"));
  window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
}

export class BpoTaskList extends LitElement {
  static override properties = {
    hass: { attribute: false },
    compact: { type: Boolean },
    limit: { type: Number },
    tasks: { state: true },
    error: { state: true },
    everyone: { state: true },
  };
  static override styles = [shared];

  declare hass: Hass;
  declare compact: boolean;
  declare limit: number;
  declare tasks: Task[] | undefined;
  declare error: string;
  declare everyone: boolean;
  readonly live = new LiveController(this, () => this.load());

  constructor() {
    super();
    this.compact = false;
    this.limit = 0;
    this.tasks = undefined;
    this.error = "";
    this.everyone = false;
    this.addEventListener("bpo-changed", () => void this.live.reload());
  }

  private async load() {
    try {
      this.tasks = (await listTasks(this.hass)).filter((task) => task.status === "open");
      this.error = "";
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** The viewer's person entity (HA links it to the user), or undefined. */
  private person(): string | undefined {
    const id = this.hass.user?.id;
    return Object.values(this.hass.states ?? {}).find(
      (s) => s.entity_id.startsWith("person.") && s.attributes.user_id === id,
    )?.entity_id;
  }

  /** Admins are sent every task: by default they see theirs (assigned, or offered to their queues). */
  private mine(tasks: Task[]): Task[] {
    if (!this.hass.user?.is_admin || this.everyone) return tasks;
    const me = this.person();
    // `mine` from the server knows the directory's groups; without it (older bpo), claimable is the guess
    return tasks.filter((task) => task.mine ?? ((me !== undefined && task.assignee === me) || task.can_claim));
  }

  override render() {
    const t = translator(this.hass?.language);
    if (this.error) return html`<div class="error" role="alert">${this.error}</div>`;
    if (!this.tasks) return html`<div class="muted">${t("loading")}</div>`;
    const admin = Boolean(this.hass.user?.is_admin) && !this.compact;
    const toggle = admin
      ? html`<div class="row scope" style="margin-bottom:8px">${(
          [
            [false, t("only_mine")],
            [true, t("everyone")],
          ] as const
        ).map(
          ([
            all,
            label,
          ]) => html`<button class=${this.everyone === all ? "" : "secondary"} data-scope=${all ? "all" : "mine"}
            aria-pressed=${this.everyone === all ? "true" : "false"} @click=${() => (this.everyone = all)}>${label}</button>`,
        )}</div>`
      : nothing;
    const tasks = this.mine(this.tasks);
    if (!tasks.length) return html`${toggle}<div class="muted empty">${t("no_tasks")}</div>`;
    // overdue first, then by due date (no due date last)
    const sorted = [...tasks].sort(
      (a, b) => Number(b.overdue) - Number(a.overdue) || (a.due ?? "~").localeCompare(b.due ?? "~"),
    );
    const shown = this.limit > 0 ? sorted.slice(0, this.limit) : sorted;
    return html`${toggle}<div class="tasks">
      ${repeat(
        shown,
        (task) => task.task_id,
        (task) => html`<bpo-task-item .hass=${this.hass} .task=${task} ?compact=${this.compact}></bpo-task-item>`,
      )}
      ${
        shown.length < sorted.length
          ? html`<div class="muted more"><a href="/bpo" @click=${navigate}>${t("more", { n: sorted.length - shown.length })}</a></div>`
          : nothing
      }
    </div>`;
  }
}
