// English and Japanese strings, chosen from hass.language ("ja", "ja-JP" -> Japanese; anything else English).
import type { Hass } from "./types.js";

const en = {
  title: "Business processes",
  tab_tasks: "My tasks",
  tab_instances: "Instances",
  tab_admin: "Admin",
  loading: "Loading…",
  no_tasks: "No open tasks. Well done!",
  no_instances: "No instances.",
  due: "Due {when}",
  overdue: "Overdue since {when}",
  reminders: "Reminders: {when}",
  assignee: "Assigned to {who}",
  queue: "Queue {group}",
  candidates: "For {who}",
  claim: "Claim",
  complete: "Done",
  required: "Required",
  missing: "Fill in: {fields}",
  masked: "Some personal data is hidden (***): you are not cleared to see it.",
  not_yours: "Only the assignee can finish this task.",
  file_hint: "Link or file name",
  yes: "Yes",
  no: "No",
  choose: "Choose…",
  status: "Status",
  current_step: "Current step",
  started: "Started {when}",
  history: "History",
  graph: "Process",
  tasks: "Tasks",
  fields: "Fields",
  back: "Back",
  cancel_instance: "Cancel instance",
  confirm_cancel: "Cancel instance {id}?",
  reassign: "Reassign",
  reassign_to: "person.…",
  blueprints: "Blueprints",
  problems: "Problems",
  no_problems: "No problems in the blueprints.",
  suspended: "Suspended",
  resume: "Resume",
  limits: "Limits",
  start: "Start a process",
  process: "Process",
  key: "Key (optional)",
  start_button: "Start",
  started_ok: "Started {id} ({status})",
  done_ok: "Finished: {title}",
  admins_only: "Only administrators see this tab.",
  open_panel: "Open",
  card_title: "My tasks",
  more: "+{n} more in the BPO panel",
  all_processes: "All",
  started_at: "Started",
  only_mine: "Only mine",
  everyone: "Everyone's",
  fill_in: "Fill in",
  limit_text: "{max} starts per {per}",
  limit_text_one: "1 start per {per}",
} as const;

export type StringKey = keyof typeof en;

const ja: Record<StringKey, string> = {
  title: "業務プロセス",
  tab_tasks: "自分のタスク",
  tab_instances: "インスタンス",
  tab_admin: "管理",
  loading: "読み込み中…",
  no_tasks: "未完了のタスクはありません。",
  no_instances: "インスタンスはありません。",
  due: "期限 {when}",
  overdue: "期限切れ（{when}）",
  reminders: "リマインダー: {when}",
  assignee: "担当: {who}",
  queue: "キュー {group}",
  candidates: "候補: {who}",
  claim: "引き受ける",
  complete: "完了",
  required: "必須",
  missing: "入力してください: {fields}",
  masked: "個人情報の一部は非表示です（***）。閲覧権限がありません。",
  not_yours: "このタスクは担当者だけが完了できます。",
  file_hint: "リンクまたはファイル名",
  yes: "はい",
  no: "いいえ",
  choose: "選択…",
  status: "状態",
  current_step: "現在のステップ",
  started: "開始 {when}",
  history: "履歴",
  graph: "プロセス",
  tasks: "タスク",
  fields: "項目",
  back: "戻る",
  cancel_instance: "インスタンスを中止",
  confirm_cancel: "インスタンス {id} を中止しますか？",
  reassign: "担当変更",
  reassign_to: "person.…",
  blueprints: "ブループリント",
  problems: "問題",
  no_problems: "ブループリントに問題はありません。",
  suspended: "停止中",
  resume: "再開",
  limits: "制限",
  start: "プロセスを開始",
  process: "プロセス",
  key: "キー（任意）",
  start_button: "開始",
  started_ok: "{id} を開始しました（{status}）",
  done_ok: "完了しました: {title}",
  admins_only: "このタブは管理者だけが見られます。",
  open_panel: "開く",
  card_title: "自分のタスク",
  more: "ほか {n} 件は BPO パネルで",
  all_processes: "すべて",
  started_at: "開始",
  only_mine: "自分の分だけ",
  everyone: "全員の分",
  fill_in: "入力する",
  limit_text: "{per}あたり {max} 回",
  limit_text_one: "{per}あたり 1 回",
};

export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

export function translator(language: string | undefined): Translate {
  const table: Record<StringKey, string> = (language ?? "").toLowerCase().startsWith("ja") ? ja : en;
  return (key, vars) => table[key].replace(/\{(\w+)\}/g, (_m, name: string) => String(vars?.[name] ?? ""));
}

/** A date-time in the viewer's language and in the time zone their profile chose (HA: "server" = HA's). */
export function when(hass: Hass | undefined, iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const zone = hass?.locale?.time_zone === "server" ? hass.config?.time_zone : undefined;
  const options: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short", timeZone: zone };
  try {
    return new Intl.DateTimeFormat(hass?.language || "en", options).format(date);
  } catch {
    return new Intl.DateTimeFormat(hass?.language || "en", { ...options, timeZone: undefined }).format(date);
  }
}
