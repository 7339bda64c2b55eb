import { startWorker } from '@switchyard/agents';

// The standard worker: hosts the built-in agents and consumes the queues of their capabilities.
startWorker();
