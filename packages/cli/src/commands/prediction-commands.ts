import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { PredictOptions } from '@berth/core';
import { UsageError } from '@berth/core/internal';
import { type JsonOption, writeResult, writeStdout } from '../cli-output.js';
import { type ContentType, readPredictionInput } from '../prediction-input.js';
import { openClient, resolveTargetUri, type TargetOptions } from '../target-context.js';

export type PredictionCommand = 'predict' | 'explain' | 'predict-stream';

interface PredictionOptions extends TargetOptions, JsonOption {
  name?: string | undefined;
  endpoint?: string | undefined;
  inputPath: string;
  outputPath?: string | undefined;
  contentType?: ContentType | undefined;
}

/**
 * predict / explain / predict-stream: read the input, call the target, print JSON (the output is
 * JSON with or without --json). predict prints the `PredictionsResponse` body, explain whatever the
 * target returned, predict-stream one JSON line per chunk as it arrives.
 */
export async function runPrediction(command: PredictionCommand, options: PredictionOptions): Promise<void> {
  if ((options.name === undefined) === (options.endpoint === undefined)) {
    throw new UsageError('Must specify exactly one of --name or --endpoint.');
  }
  const targetUri = await resolveTargetUri(options);
  const inputs = await readPredictionInput(options.inputPath, options.contentType);
  const client = await openClient(targetUri);
  const predictOptions: PredictOptions = options.endpoint !== undefined ? { endpoint: options.endpoint } : {};
  switch (command) {
    case 'predict': {
      // JSON.stringify goes through toJSON, so a PredictionsResponse from any copy of core prints its body.
      const response = await client.predict(options.name, inputs, predictOptions);
      return writeResult(`${JSON.stringify(response)}\n`, options.outputPath);
    }
    case 'explain': {
      const explanation = await client.explain(options.name, inputs, predictOptions);
      return writeResult(`${JSON.stringify(explanation ?? null)}\n`, options.outputPath);
    }
    case 'predict-stream':
      return streamPredictions(client.predictStream(options.name, inputs, predictOptions), options.outputPath);
  }
}

async function streamPredictions(chunks: AsyncIterable<unknown>, outputPath: string | undefined): Promise<void> {
  if (outputPath === undefined) {
    for await (const chunk of chunks) await writeStdout(`${JSON.stringify(chunk)}\n`);
    return;
  }
  const file = createWriteStream(outputPath);
  try {
    for await (const chunk of chunks) {
      if (!file.write(`${JSON.stringify(chunk)}\n`)) await once(file, 'drain');
    }
  } finally {
    file.end();
    await once(file, 'close');
  }
}
