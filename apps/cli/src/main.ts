import { DEFAULT_BASE_URL, SwitchyardClient } from '@switchyard/client';
import { describeFailure } from './cli-failure';
import { cliProgram } from './cli-program';

/** `switchyard`: its configuration is read here, once, from the environment. */
async function main(): Promise<void> {
  const baseUrl = process.env.SWITCHYARD_URL || DEFAULT_BASE_URL;
  const client = new SwitchyardClient({ baseUrl, apiKey: process.env.SWITCHYARD_API_KEY || undefined });
  try {
    await cliProgram(client).parseAsync(process.argv);
  } catch (error) {
    const { line, code } = describeFailure(error, baseUrl);
    if (line) process.stderr.write(`${line}\n`);
    process.exitCode = code;
  }
}

void main();
