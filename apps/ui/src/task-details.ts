import { FINAL_SESSION_STATUSES, JsonValue, LogEntry, Plan, ResolveAction, SwitchyardClient, TaskSpec, TaskState } from '@switchyard/client';
import { failureText } from './api-client';
import { DeltaText } from './deltas';
import { duration, h, statusPill } from './dom';

/** The plan's spec of a task (its input lives there), searched through the tree. */
function specOf(tasks: readonly TaskSpec[] | undefined, id: string): TaskSpec | undefined {
  for (const task of tasks ?? []) {
    if (task.id === id) return task;
    const found = specOf(task.children, id);
    if (found) return found;
  }
  return undefined;
}

function json(value: unknown): HTMLElement {
  return h('pre', { class: 'json' }, value === undefined ? '—' : JSON.stringify(value, null, 2));
}

function field(name: string, value: Node | string | undefined): HTMLElement {
  return h('div', { class: 'field' }, h('dt', {}, name), h('dd', {}, value ?? '—'));
}

function timings(task: TaskState): string {
  if (!task.startedAt) return 'not started';
  const end = task.finishedAt ? Date.parse(task.finishedAt) : Date.now();
  const took = duration(end - Date.parse(task.startedAt));
  return `${new Date(task.startedAt).toLocaleTimeString()} → ${task.finishedAt ? new Date(task.finishedAt).toLocaleTimeString() : 'running'} (${took})`;
}

function usage(task: TaskState): string | undefined {
  const u = task.usage;
  if (!u) return undefined;
  const cost = u.costUsd ? `, $${u.costUsd.toFixed(4)}` : '';
  const calls = u.calls ?? 0;
  return `${u.totalTokens ?? 0} tokens (${u.promptTokens ?? 0} prompt + ${u.completionTokens ?? 0} completion) in ${calls} ${calls === 1 ? 'call' : 'calls'}${cost}`;
}

/** The panel beside the graph: everything about one task, and an operator's answers when it is paused. */
export class TaskDetails {
  readonly element = h('aside', { class: 'details', 'data-panel': 'task' }, h('p', { class: 'hint' }, 'Click a task to see its input, output, agent and log.'));
  private taskId: string | undefined;
  private logList: HTMLElement | undefined;
  private deltaBox: HTMLElement | undefined;

  constructor(
    private readonly client: SwitchyardClient,
    private readonly sessionId: string,
    private readonly deltas: DeltaText,
  ) {}

  get shown(): string | undefined {
    return this.taskId;
  }

  async show(taskId: string): Promise<void> {
    this.taskId = taskId;
    const [session, logs] = await Promise.all([
      this.client.sessions.get(this.sessionId),
      this.client.sessions.logs(this.sessionId, { taskId, limit: 200 }).catch(() => ({ entries: [] as LogEntry[] })),
    ]);
    if (this.taskId !== taskId) return;
    const task: TaskState | undefined = session.tasks.find((t) => t.id === taskId);
    if (!task) return;
    const spec = specOf((session.plan as Plan | undefined)?.tasks, taskId);
    this.logList = h('ol', { class: 'log' }, ...logs.entries.map(logLine));
    this.deltaBox = h('pre', { class: 'deltas', 'data-deltas': taskId });
    this.fillDeltas(taskId);
    this.element.replaceChildren(
      h('header', {}, h('h2', {}, task.title ?? task.id), statusPill(task.status)),
      h(
        'dl',
        {},
        field('Task', task.id),
        task.kind ? field('Kind', task.kind) : null,
        field('Capabilities', task.capabilities.join(', ')),
        field('Agent', task.agentId),
        field('Worker', task.worker ? `${task.worker.host} (pid ${task.worker.pid})` : undefined),
        field('Attempts', String(task.attempts)),
        field('Timings', timings(task)),
        task.waitingFor ? field('Waiting for', waitingForText(task.waitingFor)) : null,
        task.reusedFrom ? field('Reused from', h('a', { href: `/ui/sessions/${encodeURIComponent(task.reusedFrom)}` }, task.reusedFrom)) : null,
        task.error ? field('Error', `${task.error.name ? `${task.error.name}: ` : ''}${task.error.message}`) : null,
        field('Usage', usage(task)),
      ),
      ...(task.status === 'paused' ? [this.resolveForm(task)] : []),
      ...(waitsForSignal(task) ? [this.signalForm(waitsForSignal(task)!)] : []),
      ...(FINAL.includes(session.status) ? [this.forkForm(task, spec?.input)] : []),
      h('h3', {}, 'Input'),
      json(spec?.input),
      h('h3', {}, 'Output'),
      json(task.output),
      h('h3', {}, 'Streamed'),
      this.deltaBox,
      h('h3', {}, `Log (${logs.entries.length})`),
      this.logList,
    );
  }

  /** A log entry of the live stream: appended when it is the shown task's. */
  addLog(entry: LogEntry): void {
    if (entry.taskId === this.taskId) this.logList?.append(logLine(entry));
  }

  addDelta(taskId: string): void {
    if (taskId === this.taskId) this.fillDeltas(taskId);
  }

  /** The text the task's model streamed (its latest attempt), or a note that nothing was. */
  private fillDeltas(taskId: string): void {
    if (!this.deltaBox) return;
    const streamed = this.deltas.of(taskId);
    // Follows the text as it grows, unless someone scrolled up to read.
    const box = this.deltaBox;
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    box.classList.toggle('empty', !streamed);
    box.textContent = streamed ? streamed.text : 'Nothing streamed (yet).';
    if (atEnd) box.scrollTop = box.scrollHeight;
    if (streamed) this.deltaBox.title = `attempt ${streamed.attempt}`;
  }

  /** Delivers the signal the task waits for, with a JSON payload (its output); the stream shows it complete. */
  private signalForm(signal: string): HTMLElement {
    const payload = h('textarea', { name: 'payload', rows: 3, placeholder: '{"approvedBy": "ops"}' });
    const message = h('p', { class: 'form-message' });
    const button = h('button', { type: 'button', 'data-action': 'signal' }, `Send signal “${signal}”`);
    button.addEventListener('click', () => {
      const body = parseJson(payload.value, 'The payload');
      if ('error' in body) return void (message.textContent = body.error);
      button.disabled = true;
      this.client.sessions
        .signal(this.sessionId, signal, body.value === undefined ? {} : { payload: body.value })
        .then((answer) => (message.textContent = `Delivered to ${answer.taskId}.`))
        .catch((error: unknown) => {
          button.disabled = false;
          message.textContent = `Not sent: ${failureText(error)}`;
        });
    });
    return h('section', { class: 'action signal-form' }, h('h3', {}, 'Signal'), payload, button, message);
  }

  /**
   * Forks the finished session from this task: it and every task that waits on it run again
   * (with the new input, if one is given), the others keep their output. Opens the new session.
   */
  private forkForm(task: TaskState, oldInput: unknown): HTMLElement {
    const input = h('textarea', {
      name: 'forkInput',
      rows: 3,
      placeholder: oldInput === undefined ? 'New input (JSON), or empty for the old one' : `Empty for the old input: ${JSON.stringify(oldInput)}`,
    });
    const message = h('p', { class: 'form-message' });
    const button = h('button', { type: 'button', 'data-action': 'fork' }, 'Fork from here');
    button.addEventListener('click', () => {
      const parsed = parseJson(input.value, 'The new input');
      if ('error' in parsed) return void (message.textContent = parsed.error);
      button.disabled = true;
      this.client.sessions
        .fork(this.sessionId, { fromTask: task.id, ...(parsed.value === undefined ? {} : { input: parsed.value }) })
        .then((fork) => location.assign(`/ui/sessions/${encodeURIComponent(fork.sessionId)}`))
        .catch((error: unknown) => {
          button.disabled = false;
          message.textContent = `Not forked: ${failureText(error)}`;
        });
    });
    return h(
      'section',
      { class: 'action fork-form' },
      h('h3', {}, 'Fork from here'),
      h('p', { class: 'form-hint' }, 'A new session: this task and all that wait on it run again; the others keep their output.'),
      input,
      button,
      message,
    );
  }

  private resolveForm(task: TaskState): HTMLElement {
    const output = h('textarea', { name: 'output', rows: 3, placeholder: '{"approved": true}' });
    const message = h('p', { class: 'form-message' });
    const send = (action: ResolveAction) => async () => {
      try {
        const body = action === 'provide' ? { action, output: JSON.parse(output.value || 'null') as TaskState['output'] } : { action };
        await this.client.sessions.resolve(this.sessionId, task.id, body);
        message.textContent = `Sent: ${action}`;
      } catch (error) {
        message.textContent = `Not sent: ${failureText(error)}`;
      }
    };
    return h(
      'section',
      { class: 'resolve' },
      h('h3', {}, 'Operator input'),
      h(
        'div',
        { class: 'buttons' },
        ...(['retry', 'skip', 'abort'] as const).map((action) =>
          h('button', { type: 'button', 'data-action': action, onclick: () => void send(action)() }, action),
        ),
      ),
      output,
      h('button', { type: 'button', 'data-action': 'provide', onclick: () => void send('provide')() }, 'provide output'),
      message,
    );
  }
}

const FINAL: readonly string[] = FINAL_SESSION_STATUSES;

/** The name of the signal a task waits for now, if it does (a `signal` task whose dependencies are done). */
function waitsForSignal(task: TaskState): string | undefined {
  const waitingFor = task.waitingFor;
  return task.kind === 'signal' && typeof waitingFor === 'object' && 'signal' in waitingFor ? waitingFor.signal : undefined;
}

/** A text field's JSON: undefined when it is empty, or a line that says what is wrong with it. */
function parseJson(text: string, what: string): { value: JsonValue | undefined } | { error: string } {
  if (text.trim() === '') return { value: undefined };
  try {
    return { value: JSON.parse(text) as JsonValue };
  } catch (error) {
    return { error: `${what} is not JSON: ${(error as Error).message}` };
  }
}

function logLine(entry: LogEntry): HTMLElement {
  return h(
    'li',
    { class: `level-${entry.level}` },
    h('time', {}, new Date(entry.time).toLocaleTimeString()),
    h('span', { class: 'level' }, entry.level),
    h('span', { class: 'message' }, entry.message),
  );
}

/** What a task waits for, as a line: a sentence as it is, a durable wait's time, a signal's name and deadline. */
function waitingForText(waitingFor: NonNullable<TaskState['waitingFor']>): string {
  if (typeof waitingFor === 'string') return waitingFor;
  if ('until' in waitingFor) return `until ${waitingFor.until}`;
  return `signal ${waitingFor.signal}${waitingFor.timeoutAt ? ` (until ${waitingFor.timeoutAt})` : ''}`;
}
