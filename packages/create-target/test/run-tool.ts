import { spawn } from 'node:child_process';

export interface ToolResult {
  code: number | null;
  output: string;
}

/** Runs a command to completion (killed by pid after `timeoutMs`), stdout and stderr together. */
export function runTool(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; input?: string },
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const environment: NodeJS.ProcessEnv = { ...process.env };
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete environment[name];
      else environment[name] = value;
    }
    const child = spawn(command, [...args], { cwd: options.cwd, env: environment, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
