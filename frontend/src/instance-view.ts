// One instance (bpo/instance/get): status, current step, fields, tasks, history timeline, the process
// drawn; admins cancel it and reassign its open tasks.
import { LitElement, css, html, nothing } from "lit";
import { cancelInstance, errorText, getInstance, reassignTask } from "./api.js";
import { renderGraph } from "./graph.js";
import { translator, when, type Translate } from "./i18n.js";
import { LiveController } from "./live.js";
import { shared } from "./styles.js";
import type { Hass, HistoryEntry, Instance, Task } from "./types.js";

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
    if (!inst) {
      return this.error
        ? html`<div class="error" role="alert">${this.error}</div>`
        : html`<div class="muted">${t("loading")}</div>`;
    }
    const admin = Boolean(this.hass?.user?.is_admin);
    const open = inst.tasks.filter((task) => task.status === "open");
    const current = inst.current_steps ?? [...new Set(open.map((task) => task.step))];
    const visited = inst.history.map((h) => h.step).filter((s): s is string => Boolean(s));
    const cancel = () => {
      if (confirm(t("confirm_cancel", { id: inst.instance_id }))) {
        void this.act(() => cancelInstance(this.hass, inst.instance_id));
      }
    };
    return html`<div class="instance" data-instance-id=${inst.instance_id}>
      <div class="card">
        <div class="row">
          <h2 class="grow">${inst.process_title ?? inst.process} · ${inst.key}</h2>
          <span class="badge ${inst.status} status">${inst.status}</span>
        </div>
        <dl>
          <dt>${t("current_step")}</dt>
          <dd class="current">${current.join(", ") || "—"}</dd>
          ${inst.started ? this.renderTimes(inst, t) : nothing}
          ${inst.error ? html`<dt class="error">!</dt><dd class="error">${inst.error}</dd>` : nothing}
          ${Object.entries(inst.fields).map(([k, v]) => html`<dt>${k}</dt><dd>${v === null ? "—" : String(v)}</dd>`)}
        </dl>
        ${inst.masked ? html`<div class="muted masked">${t("masked")}</div>` : nothing}
        ${
          admin && OPEN.has(inst.status)
            ? html`<div class="row" style="margin-top:8px">
              <button class="danger cancel" @click=${cancel}>${t("cancel_instance")}</button>
            </div>`
            : nothing
        }
        ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
      </div>
      ${
        open.length
          ? html`<div class="card">
            <h3>${t("tasks")}</h3>
            <ul class="plain">${open.map((task) => this.renderTask(task, admin, t))}</ul>
          </div>`
          : nothing
      }
      <div class="card history">
        <h3>${t("history")}</h3>
        <ol class="timeline">${inst.history.map((h) => this.renderEntry(h))}</ol>
      </div>
      ${
        inst.graph
          ? html`<div class="card"><h3>${t("graph")}</h3>${renderGraph(inst.graph, current, visited)}</div>`
          : nothing
      }
    </div>`;
  }

  private renderTimes(inst: Instance, t: Translate) {
    const ended = inst.ended ? ` → ${when(this.hass, inst.ended)}` : "";
    return html`<dt>${t("started_at")}</dt><dd>${when(this.hass, inst.started ?? null)}${ended}</dd>`;
  }

  /** An open task; admins get a reassign box. */
  private renderTask(task: Task, admin: boolean, t: Translate) {
    const target = this.reassignTo[task.task_id] ?? "";
    const type = (e: Event) =>
      (this.reassignTo = { ...this.reassignTo, [task.task_id]: (e.target as HTMLInputElement).value });
    return html`<li class="row" data-task-id=${task.task_id}>
      <span class="grow">${task.title} <span class="muted">${task.assignee ?? task.group ?? ""}</span></span>
      ${
        admin
          ? html`<input style="max-width:160px" placeholder=${t("reassign_to")} .value=${target} @input=${type} />
            <button
              class="secondary reassign"
              ?disabled=${!target}
              @click=${() => void this.act(() => reassignTask(this.hass, task.task_id, target))}
            >
              ${t("reassign")}
            </button>`
          : nothing
      }
    </li>`;
  }

  /** One history line: what, step, detail; when, by whom, from where. */
  private renderEntry(h: HistoryEntry) {
    return html`<li data-type=${h.type} data-task-id=${h.task_id ?? ""}>
      <div>
        <strong>${h.type.replace(/_/g, " ")}</strong>${h.step ? ` · ${h.step}` : nothing}${
          h.detail ? html` · <span class="detail">${h.detail}</span>` : nothing
        }
      </div>
      <div class="muted">${[when(this.hass, h.at), h.by, h.source].filter(Boolean).join(" · ")}</div>
    </li>`;
  }
}
