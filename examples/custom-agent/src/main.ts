import { BUILTIN_AGENTS, startWorker } from '@switchyard/agents';
import { SummariserAgent } from './summariser.agent';

// A worker process hosting the built-in agents and the summariser; REDIS_URL, SWITCHYARD_PREFIX
// and the other settings come from the environment, as for the standard worker.
startWorker({ agents: [...BUILTIN_AGENTS, SummariserAgent] });
