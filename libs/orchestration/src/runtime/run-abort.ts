/**
 * The abort of one task's run (its session cancelled): what an AbortController does, with the
 * AbortSignal itself made only when the agent (or a timeout) asks for it. Making an
 * AbortController and its signal for every job costs CPU and garbage, and most agents never look
 * at the signal. (BullMQ makes one per job for a processor that takes a signal; ours does not
 * take one, and keeps this instead.)
 */
export class RunAbort {
  private controller?: AbortController;
  private listeners?: (() => void)[];
  private abortedWith?: { reason: unknown };

  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  /** Why it was aborted; undefined while it was not. */
  get reason(): unknown {
    return this.abortedWith?.reason;
  }

  /** The run's AbortSignal, made on first use (aborted already if the run was). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  /** Aborts the run with `reason` (once: later calls change nothing). */
  abort(reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    listeners?.forEach((listener) => listener());
  }

  /** Calls `listener` once the run is aborted (now, if it is); answers a function that removes it. */
  onAbort(listener: () => void): () => void {
    if (this.abortedWith) {
      listener();
      return () => undefined;
    }
    (this.listeners ??= []).push(listener);
    return () => {
      const at = this.listeners?.indexOf(listener) ?? -1;
      if (at >= 0) this.listeners!.splice(at, 1);
    };
  }
}
