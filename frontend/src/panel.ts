// The sidebar panel (panel_custom webcomponent "bpo-panel"): tabs My tasks / Instances / Admin.
// HA sets hass, narrow, route and panel on it.
import { LitElement, css, html } from "lit";
import { translator } from "./i18n.js";
import { shared } from "./styles.js";
import type { Hass } from "./types.js";

type Tab = "tasks" | "instances" | "admin";

export class BpoPanel extends LitElement {
  static override properties = {
    hass: { attribute: false },
    narrow: { type: Boolean },
    route: { attribute: false },
    panel: { attribute: false },
    tab: { state: true },
  };
  static override styles = [
    shared,
    css`
      :host { display: block; min-height: 100vh; background: var(--primary-background-color, #fafafa); }
      header {
        display: flex; align-items: center; gap: 8px; height: 56px; padding: 0 12px;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, #fff);
        font-size: 20px;
      }
      nav { display: flex; gap: 4px; padding: 0 12px; background: var(--card-background-color, #fff);
        border-bottom: 1px solid var(--divider-color, #e0e0e0); }
      nav button {
        background: none; color: var(--secondary-text-color, #727272); border-radius: 0;
        border-bottom: 2px solid transparent; padding: 10px 14px;
      }
      nav button[aria-selected="true"] { color: var(--primary-color, #03a9f4); border-bottom-color: var(--primary-color, #03a9f4); }
      main { max-width: 860px; margin: 0 auto; padding: 16px; }
      @media (max-width: 420px) {
        header { font-size: 18px; }
        nav { padding: 0; }
        nav button { flex: 1 1 0; padding: 10px 4px; }
        main { padding: 8px; }
      }
    `,
  ];

  declare hass: Hass;
  declare narrow: boolean;
  declare route: unknown;
  declare panel: unknown;
  declare tab: Tab;

  constructor() {
    super();
    this.narrow = false;
    this.tab = "tasks";
  }

  override render() {
    if (!this.hass) return html``;
    const t = translator(this.hass.language);
    const tabs: [Tab, string][] = [
      ["tasks", t("tab_tasks")],
      ["instances", t("tab_instances")],
    ];
    if (this.hass.user?.is_admin) tabs.push(["admin", t("tab_admin")]);
    return html`
      <header><ha-menu-button .hass=${this.hass} .narrow=${this.narrow}></ha-menu-button><span>${t("title")}</span></header>
      <nav role="tablist">${tabs.map(
        ([id, label]) => html`<button role="tab" data-tab=${id}
          aria-selected=${this.tab === id ? "true" : "false"} @click=${() => (this.tab = id)}>${label}</button>`,
      )}</nav>
      <main>${
        this.tab === "tasks"
          ? html`<bpo-task-list .hass=${this.hass}></bpo-task-list>`
          : this.tab === "instances"
            ? html`<bpo-instances .hass=${this.hass}></bpo-instances>`
            : html`<bpo-admin .hass=${this.hass}></bpo-admin>`
      }</main>`;
  }
}
