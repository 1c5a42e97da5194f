import type { Logger } from 'pino';
import { writeReadyFile } from './ready-file.js';
import type { ScoringServerOptions } from './scoring-server-options.js';
import { installShutdown } from './shutdown.js';

type ReadyMessage = { type: 'berth-ready'; port: number; url: string };

/**
 * `--processes N`: N processes serving the same port through node:cluster (the primary accepts
 * and hands connections out round-robin). Each process loads its own model and pool. The primary
 * writes the ready file once every process is ready, forwards SIGTERM/SIGINT and exits when all
 * processes have drained; a process that dies afterwards is replaced.
 */
export async function runCluster(
  processes: number,
  options: ScoringServerOptions,
  logger: Logger,
  readyFile: string | undefined,
): Promise<void> {
  const { default: cluster } = await import('node:cluster');
  if (!cluster.isPrimary) {
    const { startScoringServer } = await import('./scoring-server.js');
    const handle = await startScoringServer({ ...options, logger });
    process.send?.({ type: 'berth-ready', port: handle.port, url: handle.url } satisfies ReadyMessage);
    installShutdown(() => handle.close(), logger, (options.timeoutSeconds ?? 60) + 10);
    return;
  }
  cluster.schedulingPolicy = cluster.SCHED_RR;
  let stopping = false;
  let ready = 0;
  let announced = false;
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: ReadyMessage) => {
      if (message?.type !== 'berth-ready') return;
      ready++;
      if (ready === processes && !announced) {
        announced = true;
        logger.info({ url: message.url, processes }, 'ready');
        if (readyFile) {
          writeReadyFile(readyFile, { pid: process.pid, port: message.port, url: message.url }).catch(
            (error: unknown) => logger.error({ err: error }, 'could not write the ready file'),
          );
        }
      }
    });
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    if (!announced) {
      logger.error({ pid: worker.process.pid, code, signal }, 'a serving process failed to start');
      process.exit(1);
    }
    logger.warn({ pid: worker.process.pid, code, signal }, 'a serving process exited; starting a new one');
    fork();
  });
  for (let index = 0; index < processes; index++) fork();
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
