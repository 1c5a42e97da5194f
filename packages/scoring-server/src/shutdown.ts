/** SIGTERM/SIGINT: stop accepting, drain in-flight requests, exit 0; a second signal exits at once. */
export function installShutdown(
  close: () => Promise<void>,
  logger: { info(message: string): void; error(object: object, message: string): void },
  graceSeconds: number,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info(`${signal}: draining in-flight requests`);
    const force = setTimeout(() => {
      logger.error({ graceSeconds }, 'drain took too long; exiting');
      process.exit(1);
    }, graceSeconds * 1000);
    force.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
