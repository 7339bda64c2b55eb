import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CapabilityCatalog } from '../agents/capability-catalog.service';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { AdmissionTimeoutError } from '../errors/errors';
import { CapabilityJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { ShardRouter } from '../redis/shards';
import { TaskQueues } from '../queues/task-queues.service';
import { SessionStore } from './session.store';
import { SessionTerminator } from './session-terminator.service';
import { SessionView } from './session.types';
import { PLANNING_CAPABILITY } from './planning-capability';
import { failureInfo } from '../errors/failure-info';
import { admissionBlock, uncoveredCapabilities } from '../registry/admission';
import { AgentRegistry } from '../registry/agent-registry.service';

/** How many queued jobs of one capability the monitor looks at per round. */
const JOBS_PER_ROUND = 1000;

/**
 * Admission: a task that no live agent can take shows why in its `waitingFor` (worked out when
 * the session is read), and starts as soon as one registers (its job simply waits in its queue).
 * With SWITCHYARD_ADMISSION_TIMEOUT_MS set, a round every so often finds the queued jobs of
 * capabilities no live agent offers, and fails those that have waited that long (counted from
 * when this process first saw them waiting), with the reason.
 */
@Injectable()
export class Admission implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Admission.name);
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  /** `tag/queue/jobId` → when this process first saw the job waiting for an agent. */
  private readonly firstSeen = new Map<string, number>();

  constructor(
    private readonly registry: AgentRegistry,
    private readonly catalog: CapabilityCatalog,
    private readonly shards: ShardRouter,
    private readonly queues: TaskQueues,
    private readonly store: SessionStore,
    private readonly terminator: SessionTerminator,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /**
   * Adds `waitingFor` to the session's tasks still to run, queued or waiting for their
   * dependencies, that no live agent can take (and to its planning step).
   */
  async annotate(view: SessionView): Promise<SessionView> {
    const queued = view.tasks.filter((t) => (t.status === 'ready' || t.status === 'waiting') && !t.waitingFor && !t.kind);
    // A goal's planning job is queued from the start; its step shows once a planner takes it.
    const planning =
      view.planning?.status === 'ready' ? view.planning : view.status === 'pending' && view.goal && !view.planning ? { status: 'ready' as const } : undefined;
    if (queued.length === 0 && !planning) return view;
    const agents = await this.registry.list();
    const policy = this.catalog.policy();
    const agentTypes = new Map(
      (view.plan?.tasks ?? []).flatMap(function walk(t): [string, string | undefined][] {
        return [[t.id, t.agentType], ...(t.children ?? []).flatMap(walk)];
      }),
    );
    for (const task of queued) {
      const reason = admissionBlock(agents, { capabilities: task.capabilities, agentType: agentTypes.get(task.id) }, policy);
      if (reason) task.waitingFor = reason;
    }
    if (planning) {
      const reason = admissionBlock(agents, { capabilities: [PLANNING_CAPABILITY] }, policy);
      if (reason) view.planning = { ...planning, waitingFor: reason };
    }
    return view;
  }

  onApplicationBootstrap(): void {
    const timeoutMs = this.config.admissionTimeoutMs;
    if (timeoutMs === 0) return;
    const everyMs = Math.min(5000, Math.max(250, Math.floor(timeoutMs / 4)));
    this.timer = setInterval(() => {
      this.round ??= this.expire(timeoutMs)
        .catch((error: Error) => this.logger.warn({ error: error.message }, 'admission round failed'))
        .finally(() => (this.round = undefined));
    }, everyMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }

  /** One round: fails the queued jobs that waited `timeoutMs` for an agent nobody offers. */
  private async expire(timeoutMs: number): Promise<void> {
    const [agents] = await Promise.all([this.registry.list(), this.catalog.refresh()]);
    const policy = this.catalog.policy();
    const uncovered = uncoveredCapabilities(agents, this.catalog.names(), policy);
    const now = Date.now();
    const seen = new Set<string>();
    for (const tag of this.shards.tags) {
      for (const capability of uncovered) {
        const jobs = await this.queues.queue(tag, capability).getJobs(['waiting', 'prioritized'], 0, JOBS_PER_ROUND - 1);
        for (const job of jobs) {
          if (!job?.id) continue;
          const data = job.data as CapabilityJobData;
          const reason = admissionBlock(agents, data.type === 'plan' ? { capabilities: [capability] } : data, policy);
          if (!reason) continue;
          const key = `${tag}/${capability}/${job.id}`;
          seen.add(key);
          const since = this.firstSeen.get(key) ?? now;
          this.firstSeen.set(key, since);
          if (now - since >= timeoutMs) await this.fail(tag, capability, job.id, data, reason, now - since);
        }
      }
    }
    for (const key of this.firstSeen.keys()) if (!seen.has(key)) this.firstSeen.delete(key);
  }

  private async fail(tag: ShardTag, queue: string, jobId: string, data: CapabilityJobData, reason: string, waitedMs: number): Promise<void> {
    const { sessionId } = data;
    const taskId = data.type === 'plan' ? undefined : data.taskId;
    const state = await this.queues.queue(tag, queue).getJobState(jobId);
    if (state !== 'waiting' && state !== 'prioritized') return;
    const info = failureInfo(new AdmissionTimeoutError(taskId ?? 'planning', reason, waitedMs), taskId);
    this.logger.warn({ sessionId, taskId, reason, waitedMs }, 'task waited too long for an agent');
    // The task, then the session, then the job: whoever reads the session failed sees why, and
    // once it is failed nothing of it starts or completes (taking the job out first could let its
    // parent complete, and the session with it).
    if (taskId) await this.store.setTaskStatus(tag, sessionId, taskId, 'failed', { error: info, finished: true });
    await this.terminator.fail(tag, sessionId, { ...info, message: taskId ? `Task "${taskId}" failed: ${info.message}` : info.message });
    await this.queues.removeIfIdle(tag, queue, jobId);
  }
}
