// Typed calls of bpo's websocket commands (WS_CONTRACT.md); errors come back as HA's {code, message}.
import type { BlueprintError, BlueprintRow, FieldValue, Hass, Instance, InstanceRow, Task } from "./types.js";

export const listTasks = (hass: Hass, includeClosed = false) =>
  hass.callWS<{ tasks: Task[] }>({ type: "bpo/tasks/list", include_closed: includeClosed }).then((r) => r.tasks);

export const completeTask = (
  hass: Hass,
  taskId: string,
  outcome: string | undefined,
  form: Record<string, FieldValue>,
) =>
  hass.callWS<{ task_id: string; status: string; outcome: string | null }>({
    type: "bpo/task/complete",
    task_id: taskId,
    ...(outcome ? { outcome } : {}),
    ...(Object.keys(form).length ? { form } : {}),
  });

export const claimTask = (hass: Hass, taskId: string) =>
  hass.callWS<{ task_id: string; assignee: string }>({ type: "bpo/task/claim", task_id: taskId });

export const reassignTask = (hass: Hass, taskId: string, assignee: string) =>
  hass.callWS<null>({ type: "bpo/task/reassign", task_id: taskId, assignee });

export const listInstances = (hass: Hass) =>
  hass.callWS<{ instances: InstanceRow[] }>({ type: "bpo/instances/list" }).then((r) => r.instances);

export const getInstance = (hass: Hass, instanceId: string) =>
  hass.callWS<Instance>({ type: "bpo/instance/get", instance_id: instanceId });

export const cancelInstance = (hass: Hass, instanceId: string) =>
  hass.callWS<null>({ type: "bpo/instance/cancel", instance_id: instanceId });

export const resumeProcess = (hass: Hass, process: string) =>
  hass.callWS<null>({ type: "bpo/process/resume", process });

export const listBlueprints = (hass: Hass) =>
  hass.callWS<{ blueprints: BlueprintRow[]; errors: BlueprintError[] }>({ type: "bpo/blueprints/list" });

export const startProcess = (hass: Hass, process: string, key: string, fields: Record<string, FieldValue>) =>
  hass.callWS<{ instance_id: string; key: string; status: string }>({
    type: "bpo/process/start",
    process,
    ...(key ? { key } : {}),
    ...(Object.keys(fields).length ? { fields } : {}),
  });

/** Calls `onChange` after every engine commit (bpo/tasks/subscribe); resolves to the unsubscribe function. */
export const subscribeChanges = (hass: Hass, onChange: () => void) =>
  hass.connection.subscribeMessage<{ tasks: string[]; processes: string[] }>(() => onChange(), {
    type: "bpo/tasks/subscribe",
  });

/** The message of a failed call: HA's ws errors carry {code, message}. */
export function errorText(err: unknown): string {
  if (err && typeof err === "object" && "message" in err) return String((err as { message: unknown }).message);
  return String(err);
}
