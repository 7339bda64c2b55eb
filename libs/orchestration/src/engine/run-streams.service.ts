import { Inject, Injectable } from '@nestjs/common';
import type { TaskLogger } from '../agents/agent-contract';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { RedisConnections } from '../redis/redis-connections.service';
import { appendDeltas } from './scripts/append-deltas';
import { TaskDeltas } from './task-deltas';

/** The task attempt whose streams are made. */
export interface StreamedRun {
  /** The session's hash. */
  readonly session: string;
  readonly taskId: string;
  readonly attempt: number;
}

/** Makes what an agent's run streams to its session besides its output: its deltas. */
@Injectable()
export class RunStreams {
  constructor(
    private readonly redis: RedisConnections,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /** The deltas of one attempt, going to the session's event stream. */
  deltas(run: StreamedRun, log: () => TaskLogger): TaskDeltas {
    return new TaskDeltas({ ...run, cap: this.config.usage.maxTaskDeltas }, (call) => appendDeltas(this.redis.client, call), log);
  }
}
