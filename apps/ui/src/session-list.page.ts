import { SessionStatus, SessionSummary, SwitchyardClient } from '@switchyard/client';
import { failureText } from './api-client';
import { ago, duration, h, sessionTitle, statusPill } from './dom';

const STATUSES: SessionStatus[] = ['pending', 'planning', 'running', 'paused', 'completed', 'failed', 'cancelled'];
/** How often the list reads its sessions again while the tab is visible. */
const REFRESH_MS = 3000;
const PAGE = 50;

/**
 * `/ui`: recent sessions, newest first, filtered by status (`?status=` in the page's URL). It
 * reads the sessions it shows again every few seconds while the tab is visible, so new sessions
 * and status changes appear without a reload.
 */
export class SessionListPage {
  private readonly rows = h('tbody');
  private readonly more = h('button', { type: 'button', class: 'more', 'data-action': 'more' }, 'Load more');
  private readonly updated = h('span', { class: 'live', 'data-live': 'connecting' }, 'loading');
  /** How many sessions the list shows: a first page, plus each page "Load more" added. */
  private shown = PAGE;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: SwitchyardClient,
    private readonly root: HTMLElement,
  ) {}

  private get statuses(): SessionStatus[] {
    const asked = (new URLSearchParams(location.search).get('status') ?? '').split(',');
    return STATUSES.filter((s) => asked.includes(s));
  }

  async start(): Promise<void> {
    const chosen = new Set(this.statuses);
    const filter = h(
      'nav',
      { class: 'filters' },
      h('a', { href: '/ui', class: chosen.size === 0 ? 'chip on' : 'chip' }, 'all'),
      ...STATUSES.map((status) => {
        const next = new Set(chosen);
        if (next.has(status)) next.delete(status);
        else next.add(status);
        const href = next.size === 0 ? '/ui' : `/ui?status=${[...next].join(',')}`;
        return h('a', { href, class: `chip status-${status}${chosen.has(status) ? ' on' : ''}`, 'data-filter': status }, status);
      }),
    );
    this.more.addEventListener('click', () => {
      this.shown += PAGE;
      void this.refresh();
    });
    this.root.replaceChildren(
      h('header', { class: 'list-header' }, h('h1', {}, 'Switchyard'), h('span', { class: 'subtitle' }, 'sessions, newest first'), this.updated, filter),
      h(
        'main',
        { class: 'list-body' },
        h(
          'table',
          { class: 'sessions' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Status'), h('th', {}, 'Session'), h('th', {}, 'Tasks'), h('th', {}, 'Started'), h('th', {}, 'Took'))),
          this.rows,
        ),
        this.more,
      ),
    );
    await this.load();
    document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && void this.refresh());
    this.schedule();
  }

  /** Reads the shown sessions again (a failure shows in the header; the next round tries again). */
  private async refresh(): Promise<void> {
    try {
      await this.load();
    } catch (error) {
      this.updated.dataset.live = 'reconnecting';
      this.updated.textContent = `not updated: ${failureText(error)}`;
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const round = document.visibilityState === 'visible' ? this.refresh() : Promise.resolve();
      void round.finally(() => this.schedule());
    }, REFRESH_MS);
  }

  /** The newest `shown` sessions, in pages of at most 100 (the route's bound), drawn in one go. */
  private async load(): Promise<void> {
    const sessions: SessionSummary[] = [];
    const status = this.statuses.length > 0 ? this.statuses : undefined;
    let cursor: string | undefined;
    do {
      const page = await this.client.sessions.list({ status, limit: Math.min(100, this.shown - sessions.length), cursor });
      sessions.push(...page.sessions);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && sessions.length < this.shown);
    this.rows.replaceChildren(...sessions.map(row));
    if (sessions.length === 0) this.rows.append(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No sessions yet.')));
    this.more.hidden = cursor === undefined;
    this.updated.dataset.live = 'live';
    this.updated.textContent = `live · ${new Date().toLocaleTimeString()}`;
  }
}

function row(session: SessionSummary): HTMLElement {
  const href = `/ui/sessions/${encodeURIComponent(session.sessionId)}`;
  const end = session.finishedAt ? Date.parse(session.finishedAt) : Date.now();
  return h(
    'tr',
    { 'data-session-id': session.sessionId, 'data-status': session.status },
    h('td', {}, statusPill(session.status)),
    h('td', {}, h('a', { href }, sessionTitle(session, session.tasks.total)), h('code', {}, session.sessionId)),
    h('td', { class: 'num' }, String(session.tasks.total)),
    h('td', {}, ago(session.createdAt)),
    h('td', { class: 'num' }, duration(end - Date.parse(session.createdAt))),
  );
}
