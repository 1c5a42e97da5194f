import { isStartMessage, type ReadyMessage, type StartMessage } from '../supervisor-protocol.js';

/**
 * One scoring server run by a supervisor. It starts as a standby: the heavy modules
 * (@berth/scoring-server with onnxruntime) load right away, then it waits for the supervisor's
 * `start` message over IPC and answers `ready` once it listens. A supervisor keeps one standby
 * waiting, so a restart costs only the model load, not the whole process start.
 */

const controlToken = process.env.BERTH_CONTROL_TOKEN || undefined;
// The token must not reach model code (js flavor) through the environment.
delete process.env.BERTH_CONTROL_TOKEN;

let started = false;
const serverModule = import('@berth/scoring-server');
// Tell the supervisor the expensive part is done; a failure here surfaces when `start` awaits it.
serverModule.then(
  () => {
    if (!started) process.send?.({ type: 'standby-ready' });
  },
  () => undefined,
);

process.on('message', (message: unknown) => {
  if (!isStartMessage(message) || started) return;
  started = true;
  start(message).catch((error: unknown) => {
    const record = error as { code?: unknown; message?: unknown };
    const code = typeof record?.code === 'string' ? ` [${record.code}]` : '';
    process.stderr.write(`berth scoring server: failed to start${code}: ${String(record?.message ?? error)}\n`);
    process.exit(1);
  });
});

// A standby whose supervisor is gone has nothing to wait for.
process.on('disconnect', () => {
  if (!started) process.exit(0);
});

async function start(message: StartMessage): Promise<void> {
  if (message.serve.role !== 'server') throw new Error('server-process.js serves models, not routers');
  const { modelDirectory, flavor, role: _role, ...options } = message.serve;
  const { startScoringServer } = await serverModule;
  const handle = await startScoringServer({
    ...options,
    modelUri: modelDirectory,
    ...(flavor ? { flavor } : {}),
    host: message.host,
    port: message.port,
    ...(controlToken ? { controlToken } : {}),
    logger: { level: process.env.BERTH_LOG_LEVEL ?? 'info' },
  });
  process.send?.({ type: 'ready', pid: process.pid, port: handle.port, url: handle.url } satisfies ReadyMessage);
  process.stderr.write(`berth scoring server ${process.pid} ready on ${handle.url}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Drain in-flight requests; a request stuck past its own timeout does not hold the exit.
    setTimeout(() => process.exit(0), ((options.timeoutSeconds ?? 60) + 10) * 1000).unref();
    handle.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Without its supervisor nobody would restart or stop this server: drain and exit, and the next
  // command that touches the deployment starts a new supervisor on the same port.
  process.on('disconnect', stop);
  process.channel?.unref();
}
