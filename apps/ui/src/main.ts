import { failureText, pageClient } from './api-client';
import { h } from './dom';
import { SessionListPage } from './session-list.page';
import { SessionPage } from './session.page';

/** The session pages' entry: `/ui` lists sessions, `/ui/sessions/:id` shows one. */
async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  const client = pageClient();
  const match = /^\/ui\/sessions\/([^/]+)\/?$/.exec(location.pathname);
  try {
    await (match ? new SessionPage(client, decodeURIComponent(match[1]), root).start() : new SessionListPage(client, root).start());
  } catch (error) {
    root.replaceChildren(h('div', { class: 'failure' }, h('h1', {}, 'Switchyard'), h('p', {}, failureText(error)), h('a', { href: '/ui' }, 'All sessions')));
  }
}

void main();
