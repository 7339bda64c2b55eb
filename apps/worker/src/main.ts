import { startWorker } from './start-worker';
import { WorkerModule } from './worker.module';

startWorker(WorkerModule);
