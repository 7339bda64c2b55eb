import { startWorker } from '@switchyard/agents';
import { WorkerModule } from './worker.module';

startWorker(WorkerModule);
