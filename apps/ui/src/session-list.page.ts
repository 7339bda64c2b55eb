import { Api } from './api-client';
import { ago, duration, h, statusPill } from './dom';

const STATUSES = ['pending', 'planning', 'running', 'paused', 'completed', 'failed', 'cancelled'];

interface SessionSummary {
  sessionId: string;
  status: string;
  goal: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  tasks: { total: number };
}

/** `/ui`: recent sessions, newest first, filtered by status (`?status=` in the page's URL). */
export class SessionListPage {
  private readonly rows = h('tbody');
  private readonly more = h('button', { type: 'button', class: 'more', 'data-action': 'more' }, 'Load more');
  private cursor: string | null = null;

  constructor(
    private readonly api: Api,
    private readonly root: HTMLElement,
  ) {}

  private get statuses(): string[] {
    return (new URLSearchParams(location.search).get('status') ?? '').split(',').filter((s) => STATUSES.includes(s));
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
    this.more.addEventListener('click', () => void this.load());
    this.root.replaceChildren(
      h('header', { class: 'list-header' }, h('h1', {}, 'Switchyard'), h('span', { class: 'subtitle' }, 'sessions, newest first'), filter),
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
  }

  private async load(): Promise<void> {
    const query = new URLSearchParams({ limit: '50' });
    if (this.statuses.length > 0) query.set('status', this.statuses.join(','));
    if (this.cursor) query.set('cursor', this.cursor);
    const page = await this.api.get<{ sessions: SessionSummary[]; nextCursor: string | null }>(`/api/orchestrator/sessions?${query}`);
    this.rows.append(...page.sessions.map(row));
    if (this.rows.childElementCount === 0) this.rows.append(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No sessions yet.')));
    this.cursor = page.nextCursor;
    this.more.hidden = page.nextCursor === null;
  }
}

function row(session: SessionSummary): HTMLElement {
  const href = `/ui/sessions/${session.sessionId}`;
  const end = session.finishedAt ? Date.parse(session.finishedAt) : Date.now();
  return h(
    'tr',
    { 'data-session-id': session.sessionId, 'data-status': session.status },
    h('td', {}, statusPill(session.status)),
    h('td', {}, h('a', { href }, session.goal ?? `Plan of ${session.tasks.total} tasks`), h('code', {}, session.sessionId)),
    h('td', { class: 'num' }, String(session.tasks.total)),
    h('td', {}, ago(session.createdAt)),
    h('td', { class: 'num' }, duration(end - Date.parse(session.createdAt))),
  );
}
