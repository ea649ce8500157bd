// One open task: who/when, its form, outcome buttons, claim. Used by the panel and the card.
// Fires "bpo-changed" (bubbling, composed) after a completion or claim so the owner re-fetches.
import { LitElement, html, nothing } from "lit";
import { claimTask, completeTask, errorText } from "./api.js";
import { missingRequired, renderField } from "./form.js";
import { translator, when } from "./i18n.js";
import { shared } from "./styles.js";
import type { FieldValue, Hass, Task } from "./types.js";

export const outcomeLabel = (outcome: string) => outcome.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

export class BpoTaskItem extends LitElement {
  static override properties = {
    hass: { attribute: false },
    task: { attribute: false },
    compact: { type: Boolean },
    edited: { state: true },
    busy: { state: true },
    error: { state: true },
    open: { state: true },
  };
  static override styles = [shared];

  declare hass: Hass;
  declare task: Task;
  declare compact: boolean;
  declare edited: Record<string, FieldValue>;
  declare busy: boolean;
  declare error: string;
  declare open: boolean;

  constructor() {
    super();
    this.compact = false;
    this.edited = {};
    this.busy = false;
    this.error = "";
    this.open = false;
  }

  private async run(action: () => Promise<unknown>, done: () => void) {
    this.busy = true;
    this.error = "";
    try {
      await action();
      done();
      this.dispatchEvent(new CustomEvent("bpo-changed", { bubbles: true, composed: true, detail: this.task }));
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
  }

  private finish(outcome?: string) {
    const t = translator(this.hass.language);
    const missing = missingRequired(this.task.form, this.edited, this.task.fields);
    if (missing.length) {
      this.error = t("missing", { fields: missing.join(", ") });
      return;
    }
    // only what the viewer entered: stored (possibly masked) values stay on the server
    const form = Object.fromEntries(Object.entries(this.edited).filter(([, v]) => v !== null));
    void this.run(
      () => completeTask(this.hass, this.task.task_id, outcome, form),
      () => (this.edited = {}),
    );
  }

  override render() {
    const task = this.task;
    const t = translator(this.hass.language);
    const locked = !task.can_complete || this.busy;
    // the card (compact) keeps forms folded until asked: a dashboard shows many tasks at a glance
    const folded = this.compact && task.form.length > 0 && !this.open;
    const who = task.assignee
      ? t("assignee", { who: task.assignee })
      : task.group
        ? t("queue", { group: task.group })
        : task.candidates.length
          ? t("candidates", { who: task.candidates.join(", ") })
          : "";
    return html`<div class="card task ${task.overdue ? "is-overdue" : ""}" data-task-id=${task.task_id}>
      <div class="row">
        <h3 class="grow title">${task.title}</h3>
        ${task.overdue ? html`<span class="badge overdue">${t("overdue", { when: when(this.hass, task.due) })}</span>` : nothing}
      </div>
      <div class="muted">${task.process_title} · ${task.key}${who ? html` · ${who}` : nothing}</div>
      ${task.due && !task.overdue ? html`<div class="muted due">${t("due", { when: when(this.hass, task.due) })}</div>` : nothing}
      ${
        task.reminders.length && !this.compact
          ? html`<div class="muted">${t("reminders", { when: task.reminders.map((r) => when(this.hass, r)).join(", ") })}</div>`
          : nothing
      }
      ${task.masked ? html`<div class="muted masked">${t("masked")}</div>` : nothing}
      ${
        task.form.length && !folded
          ? html`<form class="form" @submit=${(e: Event) => e.preventDefault()}>${task.form.map((f) =>
              renderField(
                f,
                task.fields[f.name],
                this.edited[f.name],
                (v) => (this.edited = { ...this.edited, [f.name]: v }),
                t,
                locked,
              ),
            )}</form>`
          : nothing
      }
      <div class="row actions">
        ${
          task.can_claim
            ? html`<button class="secondary claim" ?disabled=${this.busy}
              @click=${() =>
                void this.run(
                  () => claimTask(this.hass, task.task_id),
                  () => undefined,
                )}>${t("claim")}</button>`
            : nothing
        }
        ${
          folded
            ? html`<button class="secondary unfold" @click=${() => (this.open = true)}>${t("fill_in")}</button>`
            : task.outcomes.length
              ? task.outcomes.map(
                  (o) => html`<button class="outcome" data-outcome=${o} ?disabled=${locked}
              @click=${() => this.finish(o)}>${outcomeLabel(o)}</button>`,
                )
              : html`<button class="outcome" data-outcome="" ?disabled=${locked} @click=${() => this.finish()}>${t("complete")}</button>`
        }
      </div>
      ${!task.can_complete && !task.can_claim ? html`<div class="muted">${t("not_yours")}</div>` : nothing}
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
    </div>`;
  }
}
