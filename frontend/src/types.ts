// The shapes of WS_CONTRACT.md (bpo's websocket commands) and the part of HA's `hass` object we use.

export interface HassUser {
  id: string;
  name: string;
  is_admin: boolean;
}

export interface HassConnection {
  subscribeMessage<T>(callback: (message: T) => void, message: Record<string, unknown>): Promise<() => Promise<void>>;
}

export interface HassEntity {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
}

export interface Hass {
  language: string;
  locale?: { language: string; time_zone?: string };
  config?: { time_zone: string };
  states: Record<string, HassEntity>;
  user?: HassUser;
  connection: HassConnection;
  callWS<T>(message: Record<string, unknown>): Promise<T>;
}

export interface FormField {
  name: string;
  type: string;
  label: string;
  required: boolean;
  options: string[] | null;
  pii: boolean;
}

export type FieldValue = string | number | boolean | null;

export interface Task {
  task_id: string;
  instance_id: string;
  process: string;
  process_title: string;
  key: string;
  step: string;
  title: string;
  status: string;
  assignee: string | null;
  group: string | null;
  candidates: string[];
  due: string | null;
  overdue: boolean;
  reminders: string[];
  outcomes: string[];
  form: FormField[];
  fields: Record<string, FieldValue>;
  masked: boolean;
  can_complete: boolean;
  can_claim: boolean;
  /** assigned to the viewer's person, or offered to them (candidate, group member); see WS_CONTRACT */
  mine?: boolean;
  outcome?: string | null;
}

export interface InstanceRow {
  instance_id: string;
  process: string;
  process_title: string;
  key: string;
  status: string;
  current_steps: string[];
  started: string;
  updated: string | null;
}

export interface HistoryEntry {
  at: string;
  type: string;
  step: string | null;
  task_id: string | null;
  by: string | null;
  source?: string | null;
  detail: string | null;
}

export interface Instance {
  instance_id: string;
  process: string;
  key: string;
  process_title?: string;
  status: string;
  started?: string;
  ended?: string | null;
  error?: string | null;
  current_steps?: string[];
  fields: Record<string, FieldValue>;
  masked?: boolean;
  tasks: Task[];
  history: HistoryEntry[];
  graph: string;
}

export interface BlueprintRow {
  process: string;
  title: string;
  file: string;
  suspended: boolean;
  manual: boolean;
  fields: FormField[];
  limits: Record<string, unknown>;
}

export interface BlueprintError {
  file: string;
  line: number | null;
  field: string | null;
  message: string;
}
