import { Command } from 'commander';
import { CliContext } from './cli-context';
import { CliOutput } from './cli-output';
import { logsCommand } from './commands/logs.command';
import { agentsCommand, templatesCommand } from './commands/listing.command';
import { resolveCommand } from './commands/resolve.command';
import { runCommand } from './commands/run.command';
import { sessionsCommand } from './commands/sessions.command';
import { signalCommand } from './commands/signal.command';
import { SwitchyardClient } from '@switchyard/client';

/** Usage errors end in one line that says where to look, and throw (the caller decides the exit code). */
function strict(command: Command): void {
  command.exitOverride();
  command.configureOutput({
    outputError: (text, write) =>
      write(`${text.trim().replace(/\s*\n\s*/g, ' ')} (see switchyard ${command.name() === 'switchyard' ? '' : `${command.name()} `}--help)\n`),
  });
  for (const sub of command.commands) strict(sub);
}

/** The `switchyard` command line, on a client of the API. */
export function cliProgram(client: SwitchyardClient): Command {
  const context: CliContext = { client, output: (command) => new CliOutput(Boolean(command.optsWithGlobals().json)) };
  const program = new Command('switchyard')
    .description(
      'Start, watch and steer Switchyard sessions from the command line.\n' +
        'Talks to the API at SWITCHYARD_URL (default http://127.0.0.1:3000) with the key in SWITCHYARD_API_KEY.\n' +
        'Exit codes: 0 success (a run that completed), 1 a run that failed or was cancelled, 2 a usage, network or auth error or a request the API refused.',
    )
    .option('--json', 'print only machine-readable JSON on stdout (errors still go to stderr)')
    .addCommand(runCommand(context))
    .addCommand(sessionsCommand(context))
    .addCommand(logsCommand(context))
    .addCommand(resolveCommand(context))
    .addCommand(signalCommand(context))
    .addCommand(agentsCommand(context))
    .addCommand(templatesCommand(context));
  strict(program);
  return program;
}
