// The Lovelace card "custom:bpo-tasks-card": the viewer's open tasks, compact.
// Config: {type: custom:bpo-tasks-card, title?: string, limit?: number (default 5)}.
import { LitElement, html } from "lit";
import { translator } from "./i18n.js";
import { shared } from "./styles.js";
import type { Hass } from "./types.js";

export interface CardConfig {
  type: string;
  title?: string;
  limit?: number;
}

export class BpoTasksCard extends LitElement {
  static override properties = { hass: { attribute: false }, config: { state: true } };
  static override styles = [shared];

  declare hass: Hass;
  declare config: CardConfig;

  setConfig(config: CardConfig) {
    if (!config || typeof config !== "object") throw new Error("bpo-tasks-card: the card needs a configuration");
    if (config.limit !== undefined && (!Number.isInteger(config.limit) || config.limit < 1)) {
      throw new Error("bpo-tasks-card: limit must be a whole number of 1 or more");
    }
    this.config = config;
  }

  getCardSize() {
    return 1 + (this.config?.limit ?? 5) * 2;
  }

  /** The sections view's grid: half the width by default, never narrower than a third. */
  getGridOptions() {
    return { columns: 6, min_columns: 4 };
  }

  static getStubConfig() {
    return { limit: 5 };
  }

  override render() {
    if (!this.hass || !this.config) return html``;
    const t = translator(this.hass.language);
    return html`<ha-card>
      <div style="padding:12px 16px 4px"><h2>${this.config.title ?? t("card_title")}</h2>
        <bpo-task-list .hass=${this.hass} compact .limit=${this.config.limit ?? 5}></bpo-task-list>
      </div>
    </ha-card>`;
  }
}
