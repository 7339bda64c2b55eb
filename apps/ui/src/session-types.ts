/** The parts of the API's answers the pages read (see the OpenAPI document at /docs). */

export interface WorkerView {
  host: string;
  pid: number;
}

export interface TaskView {
  id: string;
  parentId: string | null;
  title?: string;
  capabilities: string[];
  dependsOn: string[];
  status: string;
  agentId?: string;
  worker?: WorkerView;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  output?: unknown;
  error?: { message: string; name?: string };
  waitingFor?: string;
  usage?: { promptTokens?: number; completionTokens?: number; totalTokens?: number; calls?: number; costUsd?: number };
}

export interface PlanTask {
  id: string;
  input?: unknown;
  kind?: string;
  children?: PlanTask[];
}

export interface SessionView {
  sessionId: string;
  status: string;
  goal?: string;
  template?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  plan?: { tasks: PlanTask[] };
  tasks: TaskView[];
  error?: { message: string };
}

export interface LogEntry {
  id: string;
  time: string;
  level: string;
  source: string;
  message: string;
  taskId?: string;
  agentId?: string;
  context?: Record<string, unknown>;
}

export const FINISHED = ['completed', 'failed', 'cancelled'];
