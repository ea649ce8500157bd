// Browser test of bpo's web UI in Debian's chromium (playwright-core), against the real hass that
// tests/browser/test_web_ui.py starts. Usage: node panel.mjs '<json plan>'; prints one JSON line of
// results and exits 1 if a check failed (the pytest side asserts both).
// Plan: {base, chromium, screenshots, admin: {username, password}, employee: {username, password},
//        dashboard, adminTask, adminInstance, employeeTask, othersTasks: [task ids the employee must not see]}
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(
  new URL("../../frontend/package.json", import.meta.url),
);
const { chromium } = require("playwright-core");

const plan = JSON.parse(process.argv[2]);
const started = Date.now();
const results = { checks: [], failures: [], screenshots: [] };
const TIMEOUT = 30_000;

function check(name, ok, detail = "") {
  results.checks.push(name);
  if (!ok) results.failures.push(`${name}${detail ? `: ${detail}` : ""}`);
}

async function shot(locatorOrPage, name) {
  const file = path.join(plan.screenshots, name);
  await locatorOrPage.screenshot({ path: file, animations: "disabled" });
  results.screenshots.push(name);
}

/** HA's own login page: open `url` logged out, sign in, land back on `url`. */
async function login(page, url, user) {
  await page.goto(`${plan.base}${url}`);
  await page
    .locator('input[name="username"]')
    .fill(user.username, { timeout: TIMEOUT });
  await page.locator('input[name="password"]').fill(user.password);
  // "Keep me logged in" (labelled in the browser's language): tokens in localStorage, later pages stay logged in
  await page.locator('input[type="checkbox"]').first().check();
  await page.locator('input[name="password"]').press("Enter");
  await page.waitForURL(
    (u) =>
      !u.pathname.startsWith("/auth/") && !u.search.includes("auth_callback"),
    { timeout: TIMEOUT },
  );
}

/** All text under an element, through the shadow roots of Lit elements (textContent stops at them). */
const deepText = (locator) =>
  locator.evaluate((root) => {
    const walk = (node) => {
      let text = node.nodeType === Node.TEXT_NODE ? node.textContent : "";
      if (node.shadowRoot) text += walk(node.shadowRoot);
      for (const child of node.childNodes) text += walk(child);
      return text;
    };
    return walk(root);
  });

const task = (id) => `bpo-panel bpo-task-item [data-task-id="${id}"]`;

// playwright gives every launch a fresh temporary profile (its own --user-data-dir), removed on close
const browser = await chromium.launch({
  executablePath: plan.chromium,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const errors = [];
const pages = [];
// HA's own view transitions reject when a newer navigation wins or the machine is slow: not errors of ours
const HA_NOISE = /^Transition was (skipped|aborted)/;
const watch = (page, who) => {
  pages.push(page);
  page.on(
    "pageerror",
    (err) =>
      HA_NOISE.test(err.message) || errors.push(`${who}: ${err.message}`),
  );
};

try {
  // --- the admin: fill a form task, choose an outcome, see it leave and reach the history ---------
  const admin = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: "en-US",
  });
  admin.setDefaultTimeout(TIMEOUT);
  const page = await admin.newPage();
  watch(page, "admin");
  await login(page, "/bpo", plan.admin);
  await page.locator(task(plan.adminTask)).waitFor();
  const own = await page
    .locator("bpo-panel bpo-task-item [data-task-id]")
    .evaluateAll((els) => els.map((e) => e.dataset.taskId));
  check(
    "an admin's My tasks are theirs by default",
    !own.includes(plan.employeeTask),
    own.join(","),
  );
  await page.locator('bpo-panel [data-scope="all"]').click();
  await page.locator(task(plan.employeeTask)).waitFor();
  await page.locator('bpo-panel [data-scope="mine"]').click();
  await page.locator(task(plan.employeeTask)).waitFor({ state: "detached" });
  check(
    "admin sees the tabs My tasks / Instances / Admin",
    (await page.locator("bpo-panel nav [data-tab]").allTextContents()).join(
      "|",
    ) === "My tasks|Instances|Admin",
  );
  await shot(page, "panel-desktop.png");

  const item = page.locator(task(plan.adminTask));
  await item.locator('[data-outcome="submit"]').click(); // the required amount is still empty
  const refusal = await item.locator(".error").textContent();
  check(
    "a required field is asked for before anything is sent",
    /Amount/.test(refusal ?? ""),
    refusal ?? "",
  );
  await item.locator('input[name="amount"]').fill("4200");
  await item.locator('select[name="category"]').selectOption("travel");
  await item.locator('input[name="spent_on"]').fill("2026-11-30");
  await item
    .locator('input[name="receipt"]')
    .fill("receipts/2026-11-30-taxi.pdf");
  await item.locator('input[name="bank_account"]').fill(plan.pii);
  await item.locator('input[name="urgent"]').check();
  await item.locator('[data-outcome="submit"]').click();
  await page.locator(task(plan.adminTask)).waitFor({ state: "detached" });
  check(
    "the finished task left My tasks",
    (await page.locator(task(plan.adminTask)).count()) === 0,
  );

  await page.locator('bpo-panel [data-tab="instances"]').click();
  await page
    .locator(
      `bpo-panel .instance-row[data-instance-id="${plan.adminInstance}"]`,
    )
    .click();
  const done = page.locator(
    `bpo-panel bpo-instance-view .history li[data-type="task_completed"][data-task-id="${plan.adminTask}"]`,
  );
  await done.waitFor();
  const line = (await done.textContent()) ?? "";
  check(
    "the completion is in the instance history with its outcome",
    line.includes("submit"),
    line,
  );
  await page
    .locator("bpo-panel bpo-instance-view .graph .node.current")
    .first()
    .waitFor();
  check(
    "the process is drawn with the current step marked",
    (await page
      .locator("bpo-panel bpo-instance-view .graph .node.current")
      .getAttribute("data-node")) === "s_pay",
  );
  check(
    "an admin sees the PII value",
    (await deepText(page.locator("bpo-panel bpo-instance-view"))).includes(
      plan.pii,
    ),
  );
  await shot(
    page.locator("bpo-panel bpo-instance-view"),
    "instance-history.png",
  );

  await page.locator('bpo-panel [data-tab="admin"]').click();
  await page.locator("bpo-panel bpo-admin .start-form").waitFor();
  check(
    "the admin tab lists the blueprints",
    (await page.locator("bpo-panel bpo-admin .blueprint").count()) >= 2,
  );
  const problem =
    (await page
      .locator("bpo-panel bpo-admin .problem")
      .first()
      .textContent()) ?? "";
  check(
    "a broken blueprint's problem is shown as file:line",
    /blueprints\/bpo\/broken\.yaml:\d+/.test(problem),
    problem,
  );
  const burst = page.locator(
    'bpo-panel bpo-admin .blueprint[data-process="burst"]',
  );
  check(
    "a suspended blueprint is marked with Resume",
    (await burst.locator(".resume").count()) === 1,
  );
  await shot(page, "admin.png");
  await burst.locator(".resume").click();
  await burst.locator(".resume").waitFor({ state: "detached" });
  check(
    "Resume lifts the suspension",
    (await burst.locator(".badge.suspended").count()) === 0,
  );

  // --- phone width, same login (kept in localStorage) ---------------------------------------------
  const phone = await admin.newPage();
  watch(phone, "phone");
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${plan.base}/bpo`);
  await phone.locator("bpo-panel bpo-task-item .task").first().waitFor();
  // nothing wider than the screen: the page, the panel and its content (a wide form would scroll inside)
  const overflow = await phone.locator("bpo-panel").evaluate((el) => {
    const main = el.shadowRoot.querySelector("main");
    return Math.max(
      document.documentElement.scrollWidth - window.innerWidth,
      el.getBoundingClientRect().right - window.innerWidth,
      el.scrollWidth - el.clientWidth,
      main.scrollWidth - main.clientWidth,
    );
  });
  check(
    "the panel fits a 390 px phone without sideways scrolling",
    overflow <= 0,
    `${overflow}px too wide`,
  );
  await shot(phone, "panel-phone.png");

  // --- the card on a dashboard --------------------------------------------------------------------
  await page.goto(`${plan.base}${plan.dashboard}`);
  const card = page.locator("bpo-tasks-card", {
    has: page.locator("h2", { hasText: plan.cardTitle }),
  });
  await card.locator("bpo-task-item .task").first().waitFor();
  check(
    "the dashboard card lists the open tasks",
    (await card.locator("bpo-task-item").count()) >= 1,
  );
  check(
    "the card shows the title of its configuration",
    (await card.locator("h2").textContent()) === plan.cardTitle,
  );
  check(
    "the card folds forms",
    (await card.locator("bpo-task-item form").count()) === 0 &&
      (await card.locator("bpo-task-item .unfold").count()) >= 1,
  );
  // the card's own box, as on the dashboard (an element screenshot would scroll it under HA's toolbar)
  const box = await card.boundingBox();
  await page.screenshot({
    path: path.join(plan.screenshots, "card.png"),
    clip: {
      x: box.x - 8,
      y: box.y - 8,
      width: box.width + 16,
      height: box.height + 16,
    },
  });
  results.screenshots.push("card.png");
  await card.locator("bpo-task-item .unfold").first().click();
  await card.locator("bpo-task-item form").first().waitFor();
  const next = page.locator("bpo-tasks-card", {
    has: page.locator("h2", { hasText: "Next" }),
  });
  check(
    "a card shows at most its limit",
    (await next.locator("bpo-task-item").count()) === 1,
  );
  await next.locator(".more a").click();
  await page.locator("bpo-panel bpo-task-item .task").first().waitFor();
  check(
    "the card's link opens the panel in place",
    new URL(page.url()).pathname === "/bpo",
  );

  // --- a non-admin employee: only their own task, no admin tab, Japanese from the browser -----------
  const employee = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: "ja-JP",
  });
  employee.setDefaultTimeout(TIMEOUT);
  const mine = await employee.newPage();
  watch(mine, "employee");
  await login(mine, "/bpo", plan.employee);
  await mine.locator(task(plan.employeeTask)).waitFor();
  const shown = await mine
    .locator("bpo-panel bpo-task-item [data-task-id]")
    .evaluateAll((els) => els.map((e) => e.dataset.taskId));
  check(
    "the employee sees their own task",
    shown.includes(plan.employeeTask),
    shown.join(","),
  );
  const leaked = shown.filter((id) => plan.othersTasks.includes(id));
  check(
    "the employee sees no other person's task",
    leaked.length === 0,
    leaked.join(","),
  );
  const tabs = await mine
    .locator("bpo-panel nav [data-tab]")
    .evaluateAll((els) => els.map((e) => e.dataset.tab));
  check(
    "the employee has no Admin tab",
    !tabs.includes("admin"),
    tabs.join(","),
  );
  check(
    "the panel speaks Japanese to a Japanese browser",
    (await mine.locator('bpo-panel nav [data-tab="tasks"]').textContent()) ===
      "自分のタスク",
  );
  results.employee_tasks = shown;

  // the clerks' queue: the payment task of the admin's claim, PII masked, claimed, then done
  const queued = mine.locator(task(plan.queueTask));
  check(
    "the queue task shows its personal data masked",
    (await queued.locator(".masked").count()) === 1 &&
      !(await deepText(mine.locator("bpo-panel"))).includes(plan.pii),
  );
  await queued.locator(".claim").click();
  await queued.locator(".claim").waitFor({ state: "detached" });
  check(
    "a claimed task is the employee's",
    ((await queued.textContent()) ?? "").includes("person.erin_employee"),
  );
  await queued.locator('[data-outcome=""]').click();
  await mine.locator(task(plan.queueTask)).waitFor({ state: "detached" });
  await mine.locator('bpo-panel [data-tab="instances"]').click();
  await mine
    .locator(
      `bpo-panel .instance-row[data-instance-id="${plan.adminInstance}"]`,
    )
    .click();
  const view = mine.locator("bpo-panel bpo-instance-view");
  await view
    .locator('.history li[data-type="task_completed"]')
    .nth(1)
    .waitFor();
  const text = await deepText(view);
  check(
    "the employee's instance view masks PII",
    text.includes("***") && !text.includes(plan.pii),
  );

  // live: the admin starts a claim for the employee from the Admin tab's form; it appears on the
  // employee's open page without a reload (bpo/tasks/subscribe)
  await mine.locator('bpo-panel [data-tab="tasks"]').click();
  await mine.locator(task(plan.employeeTask)).waitFor(); // listed, so subscribed: what follows is news
  await page.goto(`${plan.base}/bpo`);
  await page.locator('bpo-panel [data-tab="admin"]').click();
  const form = page.locator("bpo-panel bpo-admin .start-form");
  await form.locator('select[name="process"]').selectOption("expense_claim");
  await form.locator('input[name="key"]').fill("e-300");
  await form.locator('input[name="employee"]').fill(plan.employeePerson);
  await form.locator('input[name="amount"]').fill("990");
  await form.locator("button.start").click();
  const message =
    (await page.locator("bpo-panel bpo-admin .message").textContent()) ?? "";
  check("the start form starts the process", /running/.test(message), message);
  await mine
    .locator("bpo-panel bpo-task-item .title", { hasText: "e-300" })
    .waitFor();
  check("a new task reaches the employee's open page live", true);

  // admins cancel an instance from its page (after confirming)
  page.on("dialog", (dialog) => void dialog.accept());
  await page.locator('bpo-panel [data-tab="instances"]').click();
  await page.locator("bpo-panel .instance-row", { hasText: "e-300" }).click();
  await page.locator("bpo-panel bpo-instance-view button.cancel").click();
  await page.locator("bpo-panel bpo-instance-view .status.cancelled").waitFor();
  await mine
    .locator("bpo-panel bpo-task-item .title", { hasText: "e-300" })
    .waitFor({ state: "detached" });
  check("a cancelled instance's task leaves the employee's page", true);

  // admins reassign a task from its instance page: the desk's triage goes to the employee
  await page.locator("bpo-panel button.back").click();
  await page.locator("bpo-panel .instance-row", { hasText: "r-1" }).click();
  const row = page.locator(
    `bpo-panel bpo-instance-view li[data-task-id="${plan.deskTask}"]`,
  );
  await row.locator("input").fill(plan.employeePerson);
  await row.locator("button.reassign").click();
  await mine.locator(task(plan.deskTask)).waitFor();
  check("a reassigned task reaches the employee live", true);
  await employee.close();
  await admin.close();
} catch (err) {
  results.failures.push(`error: ${err?.message ?? err}`);
  // what the browser showed when it failed, for the report (not into docs/)
  for (const [i, p] of pages.entries()) {
    const file = path.join(
      plan.failures ?? plan.screenshots,
      `failure-${i}.png`,
    );
    if (!p.isClosed())
      await p.screenshot({ path: file }).then(
        () => results.failures.push(`see ${file}`),
        () => undefined,
      );
  }
} finally {
  await browser.close();
}
// the UI must not throw (an uncaught exception is a bug even when the checks pass)
check("no uncaught page errors", errors.length === 0, errors.join(" | "));
results.seconds = Math.round((Date.now() - started) / 1000);
console.log(JSON.stringify(results));
process.exit(results.failures.length ? 1 : 0);
