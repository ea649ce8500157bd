// The "Admin" tab: blueprints with their problems (file:line), suspended processes with Resume,
// limits, and a start form for manual processes (process picker, typed inputs).
import { LitElement, html, nothing } from "lit";
import { errorText, listBlueprints, resumeProcess, startProcess } from "./api.js";
import { missingRequired, renderField } from "./form.js";
import { translator, type Translate } from "./i18n.js";
import { LiveController } from "./live.js";
import { shared } from "./styles.js";
import type { BlueprintError, BlueprintRow, FieldValue, Hass } from "./types.js";

const seconds = (v: number) => (v % 3600 === 0 ? `${v / 3600} h` : v % 60 === 0 ? `${v / 60} min` : `${v} s`);

/** The runaway guard as declared ("2000 starts per 1 h"), or "" when the blueprint sets none. */
function limits(bp: BlueprintRow, t: Translate): string {
  const { max_starts: max, window } = bp.limits as { max_starts?: number | null; window?: number | null };
  if (max === null || max === undefined) return "";
  return t(max === 1 ? "limit_text_one" : "limit_text", {
    max,
    per: typeof window === "number" ? seconds(window) : "—",
  });
}

export class BpoAdmin extends LitElement {
  static override properties = {
    hass: { attribute: false },
    blueprints: { state: true },
    problems: { state: true },
    error: { state: true },
    message: { state: true },
    process: { state: true },
    key: { state: true },
    edited: { state: true },
  };
  static override styles = [shared];

  declare hass: Hass;
  declare blueprints: BlueprintRow[] | undefined;
  declare problems: BlueprintError[];
  declare error: string;
  declare message: string;
  declare process: string;
  declare key: string;
  declare edited: Record<string, FieldValue>;
  readonly live = new LiveController(this, () => this.load());

  constructor() {
    super();
    this.blueprints = undefined;
    this.problems = [];
    this.error = "";
    this.message = "";
    this.process = "";
    this.key = "";
    this.edited = {};
  }

  private async load() {
    try {
      const result = await listBlueprints(this.hass);
      this.blueprints = result.blueprints;
      this.problems = result.errors;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  private async act(action: () => Promise<string>) {
    this.error = "";
    this.message = "";
    try {
      this.message = await action();
      await this.live.reload();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  private start(bp: BlueprintRow) {
    const t = translator(this.hass.language);
    const missing = missingRequired(bp.fields, this.edited, {});
    if (missing.length) {
      this.error = t("missing", { fields: missing.join(", ") });
      return;
    }
    const fields = Object.fromEntries(Object.entries(this.edited).filter(([, v]) => v !== null));
    void this.act(async () => {
      const done = await startProcess(this.hass, bp.process, this.key.trim(), fields);
      this.edited = {};
      this.key = "";
      return t("started_ok", { id: done.instance_id, status: done.status });
    });
  }

  override render() {
    const t = translator(this.hass?.language);
    if (!this.hass?.user?.is_admin) return html`<div class="muted">${t("admins_only")}</div>`;
    if (!this.blueprints) {
      return this.error ? html`<div class="error">${this.error}</div>` : html`<div class="muted">${t("loading")}</div>`;
    }
    const manual = this.blueprints.filter((bp) => bp.manual && !bp.suspended);
    const chosen = manual.find((bp) => bp.process === this.process) ?? manual[0];
    return html`
      ${this.message ? html`<div class="card ok message" role="status">${this.message}</div>` : nothing}
      ${this.error ? html`<div class="card error" role="alert">${this.error}</div>` : nothing}
      ${chosen ? this.renderStartForm(manual, chosen, t) : nothing}
      <div class="card problems">
        <h2>${t("problems")}</h2>
        ${
          this.problems.length
            ? html`<ul class="plain">${this.problems.map((p) => this.renderProblem(p))}</ul>`
            : html`<div class="muted">${t("no_problems")}</div>`
        }
      </div>
      <div class="card">
        <h2>${t("blueprints")}</h2>
        <ul class="plain">${this.blueprints.map((bp) => this.renderBlueprint(bp, t))}</ul>
      </div>`;
  }

  private renderStartForm(manual: BlueprintRow[], chosen: BlueprintRow, t: Translate) {
    const pick = (e: Event) => {
      this.process = (e.target as HTMLSelectElement).value;
      this.edited = {};
    };
    const set = (name: string) => (v: FieldValue) => (this.edited = { ...this.edited, [name]: v });
    return html`<div class="card start-form">
      <h2>${t("start")}</h2>
      <label class="field"
        ><span class="label">${t("process")}</span>
        <select name="process" @change=${pick}>
          ${manual.map(
            (bp) => html`<option value=${bp.process} ?selected=${bp === chosen}>${bp.title} (${bp.process})</option>`,
          )}
        </select></label
      >
      <label class="field"
        ><span class="label">${t("key")}</span>
        <input name="key" .value=${this.key} @input=${(e: Event) => (this.key = (e.target as HTMLInputElement).value)}
      /></label>
      <div class="form">
        ${chosen.fields.map((f) => renderField(f, undefined, this.edited[f.name], set(f.name), t))}
      </div>
      <button class="start" @click=${() => this.start(chosen)}>${t("start_button")}</button>
    </div>`;
  }

  private renderProblem(p: BlueprintError) {
    const where = `${p.file}${p.line ? `:${p.line}` : ""}`;
    return html`<li class="error problem">
      <code>${where}</code>${p.field ? html` <code>${p.field}</code>` : nothing} — ${p.message}
    </li>`;
  }

  private renderBlueprint(bp: BlueprintRow, t: Translate) {
    const resume = () =>
      this.act(async () => (await resumeProcess(this.hass, bp.process), `${t("resume")}: ${bp.process}`));
    const limit = limits(bp, t);
    return html`<li class="blueprint" data-process=${bp.process} style="margin-bottom:8px">
      <div class="row">
        <strong class="grow">${bp.title} <span class="muted">${bp.process}</span></strong>
        ${
          bp.suspended
            ? html`<span class="badge suspended">${t("suspended")}</span>
              <button class="resume" @click=${() => void resume()}>${t("resume")}</button>`
            : nothing
        }
      </div>
      <div class="muted"><code>${bp.file}</code>${limit ? ` · ${t("limits")}: ${limit}` : nothing}</div>
    </li>`;
  }
}
