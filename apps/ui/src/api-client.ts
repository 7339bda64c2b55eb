import { h } from './dom';

const KEY_ITEM = 'switchyard.apiKey';

/** An answer of the API that is not a 2xx: its status and problem+json body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: { path: string; message: string }[] } | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

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

/** The REST API of the server that served the page, with the key this tab was given. */
export class Api {
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    for (let tries = 0; ; tries++) {
      const key = sessionStorage.getItem(KEY_ITEM);
      const response = await fetch(path, {
        method,
        headers: {
          accept: 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status === 401 && tries < 5) {
        await askForKey(key !== null);
        continue;
      }
      const text = await response.text();
      const data: unknown = text ? JSON.parse(text) : undefined;
      if (!response.ok) throw new ApiError(response.status, data as ApiError['problem']);
      return data as T;
    }
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
}
