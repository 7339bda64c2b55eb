import { OnApplicationShutdown } from '@nestjs/common';
import { startTracing, stopTracing, TracedApp } from './tracing';

/**
 * Starts the process's traces when its modules are built (before the API listens or the worker
 * consumes), if the environment asks for them (see startTracing), and exports what is buffered
 * when the process shuts down.
 */
export class TracingLifecycle implements OnApplicationShutdown {
  constructor(app: TracedApp, env: NodeJS.ProcessEnv = process.env) {
    startTracing(app, env);
  }

  async onApplicationShutdown(): Promise<void> {
    await stopTracing();
  }
}
