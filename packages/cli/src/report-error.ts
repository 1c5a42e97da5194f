interface ErrorReport {
  code: string;
  message: string;
  suggestions: string[];
  exitCode: number;
}

/**
 * Prints an error the way a user can act on: `Error: <message>`, the cause, then suggestions —
 * no stack trace unless BERTH_DEBUG=1. With --json the same report goes to stderr as JSON.
 * Resolves to the exit code (usage errors 2, BerthErrors by code, anything else 1).
 */
export async function reportError(error: unknown, options: { json: boolean }): Promise<number> {
  const report = await describeError(error);
  if (options.json) {
    const body = { error_code: report.code, message: report.message, suggestions: report.suggestions };
    process.stderr.write(`${JSON.stringify(body)}\n`);
  } else {
    const lines = [`Error: ${report.message}`];
    const cause = causeMessage(error);
    if (cause) lines.push(`  Cause: ${cause}`);
    for (const suggestion of report.suggestions) lines.push(`  ${suggestion}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
  if (process.env.BERTH_DEBUG === '1' && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return report.exitCode;
}

async function describeError(error: unknown): Promise<ErrorReport> {
  // Loaded only on the error path; isInstance recognises errors from any copy of core a target bundles.
  const [{ BerthError }, { exitCodeFor }, { UsageError }] = await Promise.all([
    import('@berth/core'),
    import('@berth/core/registry'),
    import('@berth/core/internal'),
  ]);
  if (UsageError.isInstance(error)) {
    return {
      code: 'USAGE',
      message: error.message,
      suggestions: ["Add --help to the command for its options, or run 'berth help <command>'."],
      exitCode: error.exitCode,
    };
  }
  if (BerthError.isInstance(error)) {
    return {
      code: error.code,
      message: error.message,
      suggestions: Array.isArray(error.suggestions) ? error.suggestions.map(String) : [],
      exitCode: exitCodeFor(error.code),
    };
  }
  const message = error instanceof Error ? error.message || error.name : String(error);
  return { code: 'INTERNAL_ERROR', message, suggestions: [], exitCode: 1 };
}

function causeMessage(error: unknown): string | undefined {
  if (!(error instanceof Error) || !(error.cause instanceof Error)) return undefined;
  const cause = error.cause.message;
  return cause && !error.message.includes(cause) ? cause : undefined;
}
