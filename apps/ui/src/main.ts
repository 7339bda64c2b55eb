import { Api, ApiError } from './api-client';
import { h } from './dom';
import { SessionListPage } from './session-list.page';
import { SessionPage } from './session.page';

/** The session pages' entry: `/ui` lists sessions, `/ui/sessions/:id` shows one. */
async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  const api = new Api();
  const match = /^\/ui\/sessions\/([^/]+)\/?$/.exec(location.pathname);
  try {
    await (match ? new SessionPage(api, decodeURIComponent(match[1]), root).start() : new SessionListPage(api, root).start());
  } catch (error) {
    const message = error instanceof ApiError ? `${error.status}: ${error.message}` : String(error);
    root.replaceChildren(h('div', { class: 'failure' }, h('h1', {}, 'Switchyard'), h('p', {}, message), h('a', { href: '/ui' }, 'All sessions')));
  }
}

void main();
