// The bundle's entry: defines every element once (HA may load the module twice: the panel's
// module_url and add_extra_js_url) and registers the card in the dashboard's card picker.
import { BpoAdmin } from "./admin.js";
import { BpoTasksCard } from "./card.js";
import { BpoInstanceView } from "./instance-view.js";
import { BpoInstances } from "./instances.js";
import { BpoPanel } from "./panel.js";
import { BpoTaskItem } from "./task-item.js";
import { BpoTaskList } from "./task-list.js";

const elements: [string, CustomElementConstructor][] = [
  ["bpo-task-item", BpoTaskItem],
  ["bpo-task-list", BpoTaskList],
  ["bpo-instance-view", BpoInstanceView],
  ["bpo-instances", BpoInstances],
  ["bpo-admin", BpoAdmin],
  ["bpo-panel", BpoPanel],
  ["bpo-tasks-card", BpoTasksCard],
];
for (const [name, element] of elements) {
  if (!customElements.get(name)) customElements.define(name, element);
}

interface CustomCard {
  type: string;
  name: string;
  description: string;
  preview?: boolean;
}
const w = window as unknown as { customCards?: CustomCard[] };
w.customCards = w.customCards ?? [];
if (!w.customCards.some((card) => card.type === "bpo-tasks-card")) {
  w.customCards.push({
    type: "bpo-tasks-card",
    name: "BPO tasks",
    description: "Your open bpo tasks with their forms and outcome buttons.",
    preview: false,
  });
}
