// Inputs by field type (the engine's text/number/bool/choice/date/file/entity, plus the contract's aliases),
// value coercion and the required check. Masked PII values ("***") are never sent back.
import { html, nothing, type TemplateResult } from "lit";
import type { Translate } from "./i18n.js";
import type { FieldValue, FormField } from "./types.js";

export const MASK = "***";

const KIND: Record<string, string> = {
  string: "text",
  text: "text",
  number: "number",
  integer: "integer",
  bool: "bool",
  boolean: "bool",
  choice: "choice",
  select: "choice",
  date: "date",
  datetime: "datetime",
  file: "file",
  entity: "entity",
};

export const kindOf = (field: FormField) => KIND[field.type] ?? "text";

/** The value to send for what the input holds; null when empty. */
export function coerce(field: FormField, raw: string | boolean): FieldValue {
  const kind = kindOf(field);
  if (kind === "bool") return Boolean(raw);
  const text = String(raw).trim();
  if (text === "") return null;
  if (kind === "number" || kind === "integer") {
    const num = Number(text);
    return Number.isFinite(num) ? num : text; // the server names the bad field
  }
  return text;
}

/** Labels of required fields that have neither a new value nor one the server already holds. */
export function missingRequired(
  form: FormField[],
  edited: Record<string, FieldValue>,
  stored: Record<string, FieldValue>,
): string[] {
  return form
    .filter((f) => f.required && kindOf(f) !== "bool")
    .filter((f) => {
      const value = f.name in edited ? edited[f.name] : stored[f.name];
      return value === null || value === undefined || value === "";
    })
    .map((f) => f.label || f.name);
}

export function renderField(
  field: FormField,
  stored: FieldValue | undefined,
  edited: FieldValue | undefined,
  onValue: (value: FieldValue) => void,
  t: Translate,
  disabled = false,
): TemplateResult {
  const kind = kindOf(field);
  const masked = stored === MASK;
  const current = edited !== undefined ? edited : masked ? null : (stored ?? null);
  const label = html`<span class="label">${field.label || field.name}${
    field.required ? html`<span class="req" title=${t("required")}> *</span>` : nothing
  }${field.pii ? html` <span class="pii">PII</span>` : nothing}</span>`;
  const text = (e: Event) => onValue(coerce(field, (e.target as HTMLInputElement).value));
  let input: TemplateResult;
  if (kind === "bool") {
    return html`<label class="field bool" data-field=${field.name}>
      <input type="checkbox" name=${field.name} .checked=${Boolean(current)} ?disabled=${disabled}
        @change=${(e: Event) => onValue((e.target as HTMLInputElement).checked)} />${label}</label>`;
  } else if (kind === "choice") {
    input = html`<select name=${field.name} ?required=${field.required} ?disabled=${disabled} @change=${text}>
      <option value="" ?selected=${current === null}>${t("choose")}</option>
      ${(field.options ?? []).map((o) => html`<option value=${o} ?selected=${current === o}>${o}</option>`)}
    </select>`;
  } else {
    const type = { number: "number", integer: "number", date: "date", datetime: "datetime-local" }[kind] ?? "text";
    const placeholder = masked ? MASK : kind === "file" ? t("file_hint") : kind === "entity" ? "person.…" : "";
    input = html`<input type=${type} name=${field.name} step=${kind === "integer" ? "1" : "any"}
      .value=${current === null ? "" : String(current)} placeholder=${placeholder}
      ?required=${field.required} ?disabled=${disabled} @input=${text} />`;
  }
  return html`<label class="field" data-field=${field.name}>${label}${input}</label>`;
}
