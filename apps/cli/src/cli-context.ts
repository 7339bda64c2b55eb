import type { Command } from 'commander';
import type { SwitchyardClient } from '@switchyard/client';
import type { CliOutput } from './cli-output';

/** What every command gets: the client (made once from SWITCHYARD_URL and SWITCHYARD_API_KEY) and its output. */
export interface CliContext {
  client: SwitchyardClient;
  /** The output of a command, JSON with the global `--json`. */
  output(command: Command): CliOutput;
}
