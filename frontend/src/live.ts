// Keeps a view fresh: subscribes once the host has `hass` and loads, then loads again after every bpo commit
// (bpo/tasks/subscribe), one reload at a time; unsubscribes when the host leaves the page.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { subscribeChanges } from "./api.js";
import type { Hass } from "./types.js";

type Host = ReactiveControllerHost & { hass?: Hass };

export class LiveController implements ReactiveController {
  private unsubscribe?: Promise<(() => Promise<void>) | undefined>;
  private loading = false;
  private again = false;

  constructor(
    private readonly host: Host,
    private readonly load: () => Promise<void>,
  ) {
    host.addController(this);
  }

  hostConnected() {
    if (this.host.hass) this.start();
  }

  hostUpdated() {
    if (this.host.hass && !this.unsubscribe) this.start();
  }

  hostDisconnected() {
    const pending = this.unsubscribe;
    this.unsubscribe = undefined;
    void pending?.then((unsub) => unsub?.()).catch(() => undefined);
  }

  private start() {
    // load once the server has the subscription, so no change falls between the two; without the
    // command (older bpo) the view still loads once
    this.unsubscribe = subscribeChanges(this.host.hass!, () => void this.reload()).catch(() => undefined);
    void this.unsubscribe.then(() => this.reload());
  }

  async reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      do {
        this.again = false;
        await this.load();
      } while (this.again);
    } finally {
      this.loading = false;
    }
  }
}
