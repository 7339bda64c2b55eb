import { ApiError, SwitchyardClient } from '@switchyard/client';
import { h } from './dom';

const KEY_ITEM = 'switchyard.apiKey';
/** How many times a request asks for a key again after a 401 before it gives the 401 up. */
const KEY_TRIES = 5;

let asking: Promise<void> | undefined;

/**
 * Asks for an API key once (concurrent requests share the prompt) and keeps it in sessionStorage
 * for this tab; it goes in the Authorization header, never in a URL.
 */
function askForKey(refused: boolean): Promise<void> {
  asking ??= new Promise<void>((resolve) => {
    const input = h('input', { type: 'password', name: 'apiKey', placeholder: 'sy_…', autocomplete: 'off', required: true });
    const form = h(
      'form',
      { class: 'key-form' },
      h('h2', {}, 'API key'),
      h('p', {}, refused ? 'That key was refused. Enter another one.' : 'This Switchyard needs an API key (viewer or above). It stays in this tab only.'),
      input,
      h('button', { type: 'submit' }, 'Continue'),
    );
    const overlay = h('div', { class: 'overlay' }, form);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY_ITEM, input.value.trim());
      overlay.remove();
      asking = undefined;
      resolve();
    });
    document.body.append(overlay);
    input.focus();
  });
  return asking;
}

/**
 * The fetch the page's client sends through: it adds this tab's key, and on a 401 asks for a
 * key and sends the request again (its body is a string, so it can go twice).
 */
async function keyedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  for (let tries = 0; ; tries++) {
    const key = sessionStorage.getItem(KEY_ITEM);
    const headers = new Headers(init.headers);
    if (key) headers.set('authorization', `Bearer ${key}`);
    const response = await fetch(input, { ...init, headers });
    if (response.status !== 401 || tries >= KEY_TRIES) return response;
    await response.body?.cancel();
    await askForKey(key !== null);
  }
}

/**
 * The typed client (`@switchyard/client`, the one the CLI uses) of the API that served the page,
 * with the key this tab was given. Its requests are bounded; the event stream is not.
 */
export function pageClient(): SwitchyardClient {
  return new SwitchyardClient({ baseUrl: location.origin, fetch: keyedFetch, timeoutMs: 20_000 });
}

/** One line for a failed call: the API's own words for a refusal, the error's message otherwise. */
export function failureText(error: unknown): string {
  if (error instanceof ApiError) return `${error.status}: ${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}
