// A worker app of its own: the standard worker's start, with this app's module.
import { startWorker } from '../../../apps/worker/src/start-worker';
import { ExampleWorkerModule } from './worker.module';

startWorker(ExampleWorkerModule);
