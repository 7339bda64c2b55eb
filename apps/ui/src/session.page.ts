import { FINAL_SESSION_STATUSES, Plan, Session, SessionEvent, SessionEventData, SwitchyardClient, TaskEventData } from '@switchyard/client';
import { failureText } from './api-client';
import { DeltaText } from './deltas';
import { duration, h, sessionTitle, statusPill, tasksText } from './dom';
import { GraphView } from './graph-view';
import { kindNote, specsById } from './plan-specs';
import { TaskDetails } from './task-details';
import { defaultCollapsed, GraphTask, visibleGraph } from './task-graph';

const STATUS_ORDER = ['running', 'ready', 'waiting', 'paused', 'completed', 'failed', 'skipped', 'cancelled'];
/** A session id short enough for a header: its first characters. */
const shortId = (sessionId: string) => (sessionId.length > 14 ? `${sessionId.slice(0, 13)}…` : sessionId);
const finished = (status: string) => (FINAL_SESSION_STATUSES as readonly string[]).includes(status);

/** The data of a stream event of name E, as the client types it. */
type EventData<E extends SessionEvent['event']> = Extract<SessionEvent, { event: E }>['data'];

/** The data of one stream event, typed by its name. */
function dataOf<E extends SessionEvent['event']>(event: Event): EventData<E> {
  const data: EventData<E> = JSON.parse((event as MessageEvent<string>).data);
  return data;
}

/**
 * `/ui/sessions/:id`: the plan as a graph, live from the session's event stream (opened with a
 * stream token, so the key never goes in a URL), a task's details beside it, and cancel.
 */
export class SessionPage {
  private session!: Session;
  private tasks = new Map<string, GraphTask>();
  private collapsed = new Set<string>();
  private readonly deltas = new DeltaText();
  private readonly graph: GraphView;
  private readonly details: TaskDetails;
  private readonly header = h('header', { class: 'session-header' });
  private readonly live = h('span', { class: 'live', 'data-live': 'connecting' }, 'connecting');
  private stream: EventSource | undefined;
  private reloading: Promise<void> | undefined;
  /** A pending read of the session for its header (usage totals), at most one a second. */
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private headerReads = 0;

  constructor(
    private readonly client: SwitchyardClient,
    private readonly sessionId: string,
    private readonly root: HTMLElement,
  ) {
    this.graph = new GraphView({ select: (id) => void this.select(id), toggle: (id) => void this.toggle(id) });
    this.details = new TaskDetails(client, sessionId, this.deltas);
  }

  async start(): Promise<void> {
    this.root.replaceChildren(this.header, h('main', { class: 'session-body' }, this.graph.element, this.details.element));
    await this.reload(true);
    if (finished(this.session.status)) this.setLive('ended');
    else await this.openStream();
  }

  /** Reads the session again (at start, and when an event names a task the page has not seen). */
  private async reload(first = false): Promise<void> {
    this.session = await this.client.sessions.get(this.sessionId);
    const specs = specsById((this.session.plan as Plan | undefined)?.tasks);
    this.tasks = new Map(
      this.session.tasks.map((t) => [
        t.id,
        {
          id: t.id,
          parentId: t.parentId,
          dependsOn: t.dependsOn,
          status: t.status,
          title: t.title,
          capabilities: t.capabilities,
          agentId: t.agentId,
          kind: t.kind,
          reusedFrom: t.reusedFrom,
          note: kindNote(specs.get(t.id)),
        },
      ]),
    );
    if (first) this.collapsed = defaultCollapsed([...this.tasks.values()]);
    this.renderHeader();
    await this.graph.render(visibleGraph([...this.tasks.values()], this.collapsed), { fit: first });
  }

  private async openStream(): Promise<void> {
    const { url } = await this.client.sessions.streamToken(this.sessionId);
    const stream = new EventSource(`${url}&logLevel=info`);
    this.stream = stream;
    stream.addEventListener('open', () => this.setLive('live'));
    stream.addEventListener('task', (event) => this.onTask(dataOf<'task'>(event)));
    stream.addEventListener('session', (event) => this.onSession(dataOf<'session'>(event)));
    stream.addEventListener('log', (event) => this.details.addLog(dataOf<'log'>(event)));
    stream.addEventListener('delta', (event) => {
      const delta = dataOf<'delta'>(event);
      if (this.deltas.add(delta)) this.details.addDelta(delta.taskId);
    });
    stream.addEventListener('error', () => {
      if (finished(this.session.status)) return;
      this.setLive('reconnecting');
      // A stream the server closed (its token expired, say) does not come back by itself: a new
      // token opens it again, replaying the session's events from the start (deltas seen are dropped).
      if (stream.readyState === EventSource.CLOSED) setTimeout(() => void this.openStream().catch(() => undefined), 2000);
    });
  }

  private setLive(state: 'connecting' | 'live' | 'reconnecting' | 'ended'): void {
    this.live.dataset.live = state;
    this.live.textContent = state;
  }

  private onTask(event: TaskEventData): void {
    const task = this.tasks.get(event.taskId);
    if (!task) {
      // A subtask spawned at run time: read the plan again, once for a burst of them.
      this.reloading ??= this.reload().finally(() => (this.reloading = undefined));
      return;
    }
    task.status = event.status;
    if (event.agentId) task.agentId = event.agentId;
    this.graph.setStatus(event.taskId, event.status, event.agentId);
    this.renderHeader();
    // A task that ended added its usage to the session's totals: read them, once for a burst.
    if (['completed', 'failed'].includes(event.status)) this.refreshSoon();
    if (this.details.shown === event.taskId) void this.details.show(event.taskId);
  }

  private onSession(event: SessionEventData): void {
    this.session.status = event.status;
    if (finished(event.status)) {
      this.stream?.close();
      this.setLive('ended');
      void this.reload();
    } else this.renderHeader();
  }

  /**
   * Reads the session again for its header a second after a task ended, once for a burst of
   * them; a task that ends while that read is on its way plans another, and an older read that
   * answers late is dropped.
   */
  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const read = ++this.headerReads;
      this.client.sessions
        .get(this.sessionId)
        .then((session) => {
          if (read !== this.headerReads) return;
          // The stream's status is as new as the read's, or newer.
          this.session = { ...session, status: this.session.status };
          this.renderHeader();
        })
        .catch(() => undefined);
    }, 1000);
  }

  private async select(taskId: string): Promise<void> {
    this.graph.select(taskId);
    await this.details.show(taskId);
  }

  private async toggle(taskId: string): Promise<void> {
    if (this.collapsed.has(taskId)) this.collapsed.delete(taskId);
    else this.collapsed.add(taskId);
    await this.graph.render(visibleGraph([...this.tasks.values()], this.collapsed), { fit: false });
  }

  private async cancel(button: HTMLButtonElement): Promise<void> {
    if (!confirm(`Cancel session ${this.sessionId}? Its running tasks are aborted.`)) return;
    button.disabled = true;
    try {
      await this.client.sessions.cancel(this.sessionId);
    } catch (error) {
      button.disabled = false;
      alert(failureText(error));
    }
  }

  /** Where a fork came from: a link to the old session's page, and the task it was forked at. */
  private forkedFrom(): HTMLElement | null {
    const from = this.session.forkedFrom;
    if (!from) return null;
    return h(
      'span',
      { class: 'forked-from', 'data-forked-from': from.sessionId },
      'forked from ',
      h('a', { href: `/ui/sessions/${encodeURIComponent(from.sessionId)}` }, shortId(from.sessionId)),
      ' at ',
      h('code', {}, from.taskId),
    );
  }

  /** The session's model usage: tokens, calls and cost of all its tasks (and its planning). */
  private usageTotals(): HTMLElement {
    const u = this.session.usage;
    const tokens = u?.totalTokens ?? 0;
    return h(
      'div',
      {
        class: 'usage-totals',
        'data-usage-tokens': String(tokens),
        title: u ? `${u.promptTokens} prompt + ${u.completionTokens} completion tokens` : 'No model call yet',
      },
      h('b', {}, tokens.toLocaleString('en-US')),
      h('span', {}, `tokens · ${u?.calls ?? 0} ${u?.calls === 1 ? 'call' : 'calls'}${u && u.costUsd > 0 ? ` · $${u.costUsd.toFixed(4)}` : ''}`),
    );
  }

  private renderHeader(): void {
    const tasks = [...this.tasks.values()];
    const counts = new Map<string, number>();
    for (const t of tasks) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
    const done = tasks.filter((t) => ['completed', 'skipped'].includes(t.status)).length;
    const share = tasks.length === 0 ? 0 : done / tasks.length;
    const end = this.session.finishedAt ? Date.parse(this.session.finishedAt) : Date.now();
    const fill = h('div', { class: 'progress-fill' });
    // Through the CSSOM: a style attribute would need 'unsafe-inline' in the page's CSP.
    fill.style.width = `${(share * 100).toFixed(1)}%`;
    const cancel = h('button', { type: 'button', class: 'danger', 'data-action': 'cancel' }, 'Cancel session');
    cancel.addEventListener('click', () => void this.cancel(cancel));
    this.header.replaceChildren(
      h('a', { class: 'back', href: '/ui' }, '← Sessions'),
      h(
        'div',
        { class: 'title' },
        h('h1', {}, sessionTitle(this.session, tasks.length)),
        h('code', { class: 'session-id' }, this.sessionId),
        this.forkedFrom(),
      ),
      h('div', { class: 'session-status', 'data-session-status': this.session.status }, statusPill(this.session.status), this.live),
      h(
        'div',
        { class: 'progress' },
        h('div', { class: 'progress-bar' }, fill),
        h('span', {}, `${done} / ${tasksText(tasks.length)} · ${duration(end - Date.parse(this.session.createdAt))}`),
      ),
      h(
        'ul',
        { class: 'counts' },
        ...STATUS_ORDER.filter((s) => counts.has(s)).map((s) => h('li', { class: `count status-${s}`, 'data-count': s }, h('b', {}, String(counts.get(s))), s)),
      ),
      this.usageTotals(),
      ...(finished(this.session.status) ? [] : [cancel]),
    );
  }
}
