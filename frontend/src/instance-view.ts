// One instance (bpo/instance/get): status, current step, fields, tasks, history timeline, the process
// drawn; admins cancel it and reassign its open tasks.
import { LitElement, css, html, nothing } from "lit";
import { cancelInstance, errorText, getInstance, reassignTask } from "./api.js";
import { renderGraph } from "./graph.js";
import { translator, when } from "./i18n.js";
import { LiveController } from "./live.js";
import { shared } from "./styles.js";
import type { Hass, Instance } from "./types.js";

const OPEN = new Set(["running", "waiting", "suspended"]);

export class BpoInstanceView extends LitElement {
  static override properties = {
    hass: { attribute: false },
    instanceId: { attribute: "instance-id" },
    instance: { state: true },
    error: { state: true },
    reassignTo: { state: true },
  };
  static override styles = [
    shared,
    css`
      .timeline { list-style: none; margin: 0; padding: 0 0 0 12px; border-left: 2px solid var(--divider-color, #e0e0e0); }
      .timeline li { position: relative; padding: 0 0 10px 10px; }
      .timeline li::before {
        content: ""; position: absolute; left: -19px; top: 4px; width: 10px; height: 10px; border-radius: 50%;
        background: var(--primary-color, #03a9f4);
      }
      .graph { list-style: none; margin: 0; padding: 0; }
      .graph .node { margin: 0 0 8px; }
      .graph .box { border: 1px solid var(--divider-color, #bdbdbd); border-radius: 4px; padding: 6px 10px; white-space: pre-line; }
      .graph .start .box, .graph .end .box { border-radius: 18px; }
      .graph .choice .box { border-style: dashed; }
      .graph .visited .box { background: var(--secondary-background-color, #f5f5f5); }
      .graph .current .box { border: 2px solid var(--primary-color, #03a9f4); }
      .graph .edges { list-style: none; margin: 2px 0 0 16px; padding: 0; font-size: 13px; }
      .graph .edges .dashed { font-style: italic; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
      dt { color: var(--secondary-text-color, #727272); }
      dd { margin: 0; overflow-wrap: anywhere; }
    `,
  ];

  declare hass: Hass;
  declare instanceId: string;
  declare instance: Instance | undefined;
  declare error: string;
  declare reassignTo: Record<string, string>;
  readonly live = new LiveController(this, () => this.load());

  constructor() {
    super();
    this.instance = undefined;
    this.error = "";
    this.reassignTo = {};
  }

  override updated(changed: Map<string, unknown>) {
    if (changed.has("instanceId") && changed.get("instanceId") !== undefined) void this.live.reload();
  }

  private async load() {
    try {
      this.instance = await getInstance(this.hass, this.instanceId);
      this.error = "";
    } catch (err) {
      this.error = errorText(err);
    }
  }

  private async act(action: () => Promise<unknown>) {
    try {
      await action();
      await this.live.reload();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  override render() {
    const t = translator(this.hass?.language);
    const inst = this.instance;
    const admin = Boolean(this.hass?.user?.is_admin);
    if (!inst) return html`${this.error ? html`<div class="error" role="alert">${this.error}</div>` : html`<div class="muted">${t("loading")}</div>`}`;
    const open = inst.tasks.filter((task) => task.status === "open");
    const current = inst.current_steps ?? [...new Set(open.map((task) => task.step))];
    const visited = inst.history.map((h) => h.step).filter((s): s is string => Boolean(s));
    return html`<div class="instance" data-instance-id=${inst.instance_id}>
      <div class="card">
        <div class="row">
          <h2 class="grow">${inst.process_title ?? inst.process} · ${inst.key}</h2>
          <span class="badge ${inst.status} status">${inst.status}</span>
        </div>
        <dl>
          <dt>${t("current_step")}</dt><dd class="current">${current.join(", ") || "—"}</dd>
          ${inst.started ? html`<dt>${t("started_at")}</dt><dd>${when(this.hass, inst.started)}${inst.ended ? html` → ${when(this.hass, inst.ended)}` : nothing}</dd>` : nothing}
          ${inst.error ? html`<dt class="error">!</dt><dd class="error">${inst.error}</dd>` : nothing}
          ${Object.entries(inst.fields).map(([k, v]) => html`<dt>${k}</dt><dd>${v === null ? "—" : String(v)}</dd>`)}
        </dl>
        ${inst.masked ? html`<div class="muted masked">${t("masked")}</div>` : nothing}
        ${admin && OPEN.has(inst.status)
          ? html`<div class="row" style="margin-top:8px"><button class="danger cancel" @click=${() => {
              if (confirm(t("confirm_cancel", { id: inst.instance_id }))) void this.act(() => cancelInstance(this.hass, inst.instance_id));
            }}>${t("cancel_instance")}</button></div>`
          : nothing}
        ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
      </div>
      ${open.length ? html`<div class="card"><h3>${t("tasks")}</h3><ul class="plain">${open.map((task) => html`<li class="row" data-task-id=${task.task_id}>
          <span class="grow">${task.title} <span class="muted">${task.assignee ?? task.group ?? ""}</span></span>
          ${admin ? html`<input style="max-width:160px" placeholder=${t("reassign_to")} .value=${this.reassignTo[task.task_id] ?? ""}
              @input=${(e: Event) => (this.reassignTo = { ...this.reassignTo, [task.task_id]: (e.target as HTMLInputElement).value })} />
            <button class="secondary reassign" ?disabled=${!this.reassignTo[task.task_id]}
              @click=${() => void this.act(() => reassignTask(this.hass, task.task_id, this.reassignTo[task.task_id]))}>${t("reassign")}</button>` : nothing}
        </li>`)}</ul></div>` : nothing}
      <div class="card history"><h3>${t("history")}</h3>
        <ol class="timeline">${inst.history.map((h) => html`<li data-type=${h.type} data-task-id=${h.task_id ?? ""}>
          <div><strong>${h.type.replace(/_/g, " ")}</strong>${h.step ? html` · ${h.step}` : nothing}${h.detail ? html` · <span class="detail">${h.detail}</span>` : nothing}</div>
          <div class="muted">${when(this.hass, h.at)}${h.by ? html` · ${h.by}` : nothing}${h.source ? html` · ${h.source}` : nothing}</div>
        </li>`)}</ol>
      </div>
      ${inst.graph ? html`<div class="card"><h3>${t("graph")}</h3>${renderGraph(inst.graph, current, visited)}</div>` : nothing}
    </div>`;
  }
}
