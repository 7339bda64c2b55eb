/**
 * Gathers the calls made in one tick — the jobs whose replies came in one packet, say — and runs
 * them as one batch per group (one script call per shard instead of one per task). The batch goes
 * out once the current tick's callbacks and promise reactions have run, so a call waits for
 * nothing but the code that was about to run anyway.
 */
export class TickBatcher<Group, Item, Result> {
  private pending = new Map<Group, { items: Item[]; settle: { resolve: (r: Result) => void; reject: (e: unknown) => void }[] }>();
  private scheduled = false;

  /** `run` answers one result per item, in order, or rejects for the whole batch. */
  constructor(private readonly run: (group: Group, items: Item[]) => Promise<readonly Result[]>) {}

  add(group: Group, item: Item): Promise<Result> {
    let batch = this.pending.get(group);
    if (!batch) {
      batch = { items: [], settle: [] };
      this.pending.set(group, batch);
    }
    const { items, settle } = batch;
    items.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flush());
    }
    return new Promise<Result>((resolve, reject) => settle.push({ resolve, reject }));
  }

  private flush(): void {
    const batches = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    for (const [group, { items, settle }] of batches) {
      this.run(group, items).then(
        (results) => settle.forEach(({ resolve }, i) => resolve(results[i])),
        (error: unknown) => settle.forEach(({ reject }) => reject(error)),
      );
    }
  }
}
