// The "Instances" tab: every instance the viewer may see (bpo/instances/list), newest first, live;
// one opened shows bpo-instance-view.
import { LitElement, html, nothing } from "lit";
import { errorText, listInstances } from "./api.js";
import { translator, when, type Translate } from "./i18n.js";
import { LiveController } from "./live.js";
import { shared } from "./styles.js";
import type { Hass, InstanceRow } from "./types.js";

export class BpoInstances extends LitElement {
  static override properties = {
    hass: { attribute: false },
    selected: { type: String },
    rows: { state: true },
    error: { state: true },
    status: { state: true },
  };
  static override styles = [shared];

  declare hass: Hass;
  declare selected: string;
  declare rows: InstanceRow[] | undefined;
  declare error: string;
  declare status: string;
  readonly live = new LiveController(this, () => this.load());

  constructor() {
    super();
    this.selected = "";
    this.rows = undefined;
    this.error = "";
    this.status = "";
  }

  private async load() {
    try {
      this.rows = await listInstances(this.hass);
      this.error = "";
    } catch (err) {
      this.error = errorText(err);
    }
  }

  override render() {
    const t = translator(this.hass?.language);
    if (this.selected) {
      return html`<button class="secondary back" @click=${() => (this.selected = "")}>← ${t("back")}</button>
        <div style="height:8px"></div>
        <bpo-instance-view .hass=${this.hass} .instanceId=${this.selected}></bpo-instance-view>`;
    }
    if (this.error) return html`<div class="error" role="alert">${this.error}</div>`;
    if (!this.rows) return html`<div class="muted">${t("loading")}</div>`;
    const statuses = [...new Set(this.rows.map((r) => r.status))].sort();
    const rows = [...this.rows]
      .filter((r) => !this.status || r.status === this.status)
      .sort((a, b) => (b.updated ?? b.started).localeCompare(a.updated ?? a.started));
    const filter = (e: Event) => (this.status = (e.target as HTMLSelectElement).value);
    return html`
      <div class="row" style="margin-bottom:8px">
        <label class="muted">${t("status")}</label>
        <select style="width:auto" class="status-filter" @change=${filter}>
          <option value="">${t("all_processes")}</option>
          ${statuses.map((s) => html`<option value=${s} ?selected=${s === this.status}>${s}</option>`)}
        </select>
      </div>
      ${rows.length ? nothing : html`<div class="muted empty">${t("no_instances")}</div>`}
      ${rows.map((r) => this.renderRow(r, t))}`;
  }

  private renderRow(r: InstanceRow, t: Translate) {
    const open = () => (this.selected = r.instance_id);
    const steps = r.current_steps.length ? `${t("current_step")}: ${r.current_steps.join(", ")} · ` : "";
    return html`<div
      class="card instance-row"
      role="button"
      tabindex="0"
      style="cursor:pointer"
      data-instance-id=${r.instance_id}
      @click=${open}
      @keydown=${(e: KeyboardEvent) => e.key === "Enter" && open()}
    >
      <div class="row">
        <strong class="grow">${r.process_title} · ${r.key}</strong><span class="badge ${r.status}">${r.status}</span>
      </div>
      <div class="muted">${steps}${t("started", { when: when(this.hass, r.started) })}</div>
    </div>`;
  }
}
