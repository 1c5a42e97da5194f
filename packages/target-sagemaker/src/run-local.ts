import type { TargetConfig } from '@berth/core';

/**
 * `berth run-local -t sagemaker`: the container contract without Docker. The model is packed
 * into the very `model.tar.gz` that create uploads, extracted into a temporary
 * `/opt/ml/model`-shaped folder, and the image's entry command (`berth-scoring-server serve`) runs
 * on it in the foreground with the environment a SageMaker container gets, on `-C port=` (default
 * 8080) — what SageMaker will run, seen locally, like `mlflow models serve`. It listens on
 * 127.0.0.1 (the image itself listens on every interface, as SageMaker needs). Ctrl-C stops it
 * and removes the folder.
 *
 * `python_function` models run in MLflow's own image, which needs Docker: run-local refuses them
 * and says how to serve them.
 */
export async function runLocal(
  name: string,
  modelUri: string,
  flavor?: string,
  config: TargetConfig = {},
): Promise<void> {
  const [{ BerthError }, { parseSageMakerConfig }, { prepareModel, usesBerthImage }, { containerEnvironment }] =
    await Promise.all([
      import('@berth/core'),
      import('./sagemaker-config.js'),
      import('./model-package.js'),
      import('./serving-image.js'),
    ]);
  const { values } = parseSageMakerConfig(config, 'run-local');
  const model = await prepareModel(modelUri, flavor);
  if (!usesBerthImage(model.flavor)) {
    throw new BerthError(
      `run-local runs Berth's serving image without Docker, which serves onnx and js models; flavor '${model.flavor}' runs in MLflow's mlflow-pyfunc image, which needs Docker.`,
      {
        code: 'INVALID_PARAMETER_VALUE',
        suggestions: [
          `Serve it with MLflow: mlflow models serve -m ${modelUri}, or mlflow sagemaker run-local (Docker).`,
          'A model with an onnx flavor as well runs here with -f onnx.',
        ],
      },
    );
  }
  const [{ mkdtemp, mkdir, rm }, { tmpdir }, path, { spawn }, { pipeline }, tar, { createModelArchive }, entry] =
    await Promise.all([
      import('node:fs/promises'),
      import('node:os'),
      import('node:path'),
      import('node:child_process'),
      import('node:stream/promises'),
      import('tar'),
      import('./model-upload.js'),
      import('./image/entry-command.js'),
    ]);
  const root = await mkdtemp(path.join(tmpdir(), 'berth-sagemaker-run-local-'));
  try {
    const modelDir = path.join(root, 'opt/ml/model');
    await mkdir(modelDir, { recursive: true });
    // The archive create would upload, extracted as SageMaker extracts it.
    await pipeline(await createModelArchive(model.directory), tar.x({ cwd: modelDir }));
    const { command, args } = entry.localEntryCommand();
    const port = values.port;
    process.stderr.write(
      `Serving '${name}' (${model.flavor}) as SageMaker runs it, without Docker: ${model.directory} packed as model.tar.gz and extracted to ${modelDir}; ` +
        `\`${entry.IMAGE_ENTRYPOINT.join(' ')} ${entry.SAGEMAKER_COMMAND}\` on ${port === 0 ? 'a free port of 127.0.0.1 (in the "ready" line below)' : `http://127.0.0.1:${port}`} (/ping, /invocations). Ctrl-C stops it.\n`,
    );
    const child = spawn(command, [...args, '--host', '127.0.0.1'], {
      env: {
        ...process.env,
        ...containerEnvironment(model.flavor, values.env),
        SAGEMAKER_BIND_TO_PORT: String(port),
        BERTH_SAGEMAKER_MODEL_DIR: modelDir,
      },
      stdio: 'inherit',
      // Its own process group: a terminal's Ctrl-C reaches only this process, which passes it on
      // once (the server takes a second signal as "stop now, skip the drain").
      detached: true,
    });
    // The server drains on SIGTERM/SIGINT; pass ours on and wait for it to finish.
    let stopping: NodeJS.Signals | undefined;
    const forward = (signal: NodeJS.Signals) => {
      stopping = signal;
      if (child.exitCode === null) child.kill(signal);
    };
    // If this process ends some other way, the server must not outlive it.
    const orphanGuard = () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    process.on('exit', orphanGuard);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    }).finally(() => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      process.off('exit', orphanGuard);
    });
    // Stopped on request: a drained exit is 0, a second Ctrl-C ends it at once; both are the user's choice.
    if (stopping !== undefined) return;
    if (exit.code !== 0) {
      throw new BerthError(
        `The SageMaker serving container for '${name}' stopped with ${exit.code === null ? `signal ${exit.signal}` : `exit code ${exit.code}`}; its log is above.`,
        { code: 'INTERNAL_ERROR', suggestions: ['Exit code 1 means the model did not load; 2 a bad setting.'] },
      );
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
