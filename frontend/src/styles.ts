// Shared look, from HA's theme variables so light/dark themes apply.
import { css } from "lit";

export const shared = css`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--ha-font-family-body, Roboto, system-ui, sans-serif);
    font-size: 14px;
  }
  .card {
    background: var(--card-background-color, #fff);
    border-radius: var(--ha-card-border-radius, 12px);
    border: 1px solid var(--divider-color, #e0e0e0);
    padding: 12px 16px;
    margin: 0 0 12px;
  }
  h2, h3 { margin: 0 0 8px; font-weight: 500; }
  h2 { font-size: 18px; }
  h3 { font-size: 15px; }
  .muted { color: var(--secondary-text-color, #727272); font-size: 13px; }
  .error { color: var(--error-color, #db4437); }
  .ok { color: var(--success-color, #43a047); }
  .warn { color: var(--warning-color, #ffa600); }
  .row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
  .grow { flex: 1 1 auto; min-width: 0; }
  button {
    font: inherit;
    border: none;
    border-radius: 18px;
    padding: 6px 14px;
    min-height: 36px;
    cursor: pointer;
    background: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
  }
  button.secondary {
    background: transparent;
    color: var(--primary-color, #03a9f4);
    border: 1px solid var(--primary-color, #03a9f4);
  }
  button.danger { background: var(--error-color, #db4437); }
  button:disabled { opacity: 0.5; cursor: default; }
  input, select, textarea {
    font: inherit;
    box-sizing: border-box;
    width: 100%;
    padding: 8px;
    border: 1px solid var(--divider-color, #bdbdbd);
    border-radius: 6px;
    background: var(--secondary-background-color, #fafafa);
    color: inherit;
  }
  .form { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); column-gap: 16px; margin-top: 8px; }
  .field { display: block; margin: 0 0 10px; }
  .field .label { display: block; margin: 0 0 4px; font-size: 13px; color: var(--secondary-text-color, #727272); }
  .field.bool { display: flex; gap: 8px; align-items: center; }
  .field.bool input { width: auto; }
  .field.bool .label { margin: 0; }
  .req { color: var(--error-color, #db4437); }
  .pii, .badge {
    display: inline-block;
    font-size: 11px;
    padding: 1px 6px;
    border-radius: 8px;
    background: var(--secondary-background-color, #eee);
    color: var(--secondary-text-color, #727272);
  }
  .badge.overdue, .badge.failed { background: var(--error-color, #db4437); color: #fff; }
  .badge.running, .badge.open { background: var(--primary-color, #03a9f4); color: #fff; }
  .badge.completed, .badge.done { background: var(--success-color, #43a047); color: #fff; }
  .badge.suspended, .badge.cancelled { background: var(--warning-color, #ffa600); color: #fff; }
  ul.plain { list-style: none; padding: 0; margin: 0; }
  a { color: var(--primary-color, #03a9f4); }
`;
