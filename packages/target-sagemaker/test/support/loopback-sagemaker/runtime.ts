/**
 * SageMaker Runtime (REST JSON): InvokeEndpoint, InvokeEndpointWithResponseStream (the answer as
 * an AWS event stream written with the SDK's own codec) and InvokeEndpointAsync (input read from
 * S3, output written to the endpoint config's S3 output path — both moto's). Each request is routed
 * to a variant by weight (and to the new fleet by its share during a blue/green deployment) and
 * forwarded to that variant's container, a real scoring server in SageMaker mode.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { S3Client } from '@aws-sdk/client-s3';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { ACCOUNT_ID, AwsError } from './aws-errors.js';
import { parseS3Url } from './container-host.js';
import type { ControlPlane, EndpointRecord, VariantState } from './control-plane.js';

type Json = Record<string, unknown>;

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** A stream error the next streamed answer of an endpoint suffers after `afterParts` parts. */
interface StreamFault {
  endpointName: string;
  afterParts: number;
  errorCode: 'ModelInvocationTimeExceeded' | 'StreamBroken';
  message: string;
}

export interface AsyncInvocation {
  inferenceId: string;
  endpointName: string;
  outputLocation: string;
  failureLocation: string;
  done: Promise<void>;
}

export class Runtime {
  private readonly faults: StreamFault[] = [];
  readonly asyncInvocations: AsyncInvocation[] = [];

  constructor(
    private readonly control: ControlPlane,
    private readonly s3: () => Promise<S3Client>,
    private readonly region: string,
    private readonly asyncLatencyMs: number,
  ) {}

  injectStreamError(fault: StreamFault): void {
    this.faults.push(fault);
  }

  reset(): void {
    this.faults.length = 0;
    this.asyncInvocations.length = 0;
  }

  /** Runtime routes: POST /endpoints/{name}/invocations[-response-stream] and /async-invocations. */
  async handle(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<boolean> {
    const match = /^\/endpoints\/([^/]+)\/(invocations|invocations-response-stream|async-invocations)$/.exec(
      (request.url ?? '').split('?')[0] as string,
    );
    if (!match || request.method !== 'POST') return false;
    const name = decodeURIComponent(match[1] as string);
    try {
      if (match[2] === 'invocations') await this.invoke(name, request, response, body);
      else if (match[2] === 'invocations-response-stream') await this.invokeStream(name, request, response, body);
      else await this.invokeAsync(name, request, response);
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      if (response.headersSent) {
        response.destroy();
        return true;
      }
      const payload = JSON.stringify({ message: error.message, ...error.extra });
      response.writeHead(error.status, {
        'content-type': 'application/json',
        'x-amzn-errortype': error.type,
        'x-amzn-requestid': randomUUID(),
      });
      response.end(payload);
    }
    return true;
  }

  private endpointFor(name: string): EndpointRecord {
    const record = this.control.endpoints.get(name);
    if (!record || record.status === 'Deleting') {
      throw new AwsError('ValidationError', `Endpoint ${name} of account ${ACCOUNT_ID} not found.`);
    }
    if (!record.live) {
      throw new AwsError(
        'ValidationError',
        `Endpoint ${name} of account ${ACCOUNT_ID} is not in service (status ${record.status}).`,
      );
    }
    return record;
  }

  /** Weighted choice, deterministic: each variant gets its exact share of consecutive requests. */
  private route(record: EndpointRecord, targetVariant: string | undefined): VariantState {
    record.served++;
    const pending = record.pending;
    let variants = (record.live as NonNullable<EndpointRecord['live']>).variants;
    if (pending && pending.trafficShare > 0 && pending.served < pending.trafficShare * record.served) {
      pending.served++;
      variants = pending.fleet.variants;
    }
    if (targetVariant !== undefined) {
      const target = variants.find((variant) => variant.name === targetVariant);
      if (!target) {
        throw new AwsError('ValidationError', `Variant ${targetVariant} not found for endpoint ${record.name}.`);
      }
      target.served++;
      return target;
    }
    const weighted = variants.filter((variant) => variant.currentWeight > 0);
    if (weighted.length === 0) {
      throw new AwsError('ValidationError', `Endpoint ${record.name} has no variant with a weight above 0.`);
    }
    let chosen = weighted[0] as VariantState;
    for (const variant of weighted) {
      if (variant.served / variant.currentWeight < chosen.served / chosen.currentWeight) chosen = variant;
    }
    chosen.served++;
    return chosen;
  }

  private containerOf(record: EndpointRecord, variant: VariantState): string {
    if (!variant.container) {
      throw new AwsError(
        'ModelError',
        `Received server error (0) from primary: ${variant.containerProblem ?? 'no container'}.`,
        424,
        {
          OriginalStatusCode: 0,
          LogStreamArn: this.logStream(record),
        },
      );
    }
    return variant.container.url;
  }

  private logStream(record: EndpointRecord): string {
    return `arn:aws:logs:${this.region}:${ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/${record.name}`;
  }

  /** The container's answer, or the ModelError SageMaker makes of a non-2xx one. */
  private async forward(
    record: EndpointRecord,
    variant: VariantState,
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<Response> {
    let answer: Response;
    try {
      answer = await fetch(`${this.containerOf(record, variant)}/invocations`, { method: 'POST', headers, body });
    } catch (error) {
      if (error instanceof AwsError) throw error;
      throw new AwsError('ModelError', `Received server error (0) from primary: ${(error as Error).message}.`, 424, {
        OriginalStatusCode: 0,
        LogStreamArn: this.logStream(record),
      });
    }
    if (answer.status >= 200 && answer.status < 300) return answer;
    const text = await answer.text();
    const kind = answer.status < 500 ? 'client' : 'server';
    throw new AwsError(
      'ModelError',
      `Received ${kind} error (${answer.status}) from primary with message "${text}". See https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#logEventViewer:group=/aws/sagemaker/Endpoints/${record.name} in account ${ACCOUNT_ID} for more information.`,
      424,
      { OriginalStatusCode: answer.status, OriginalMessage: text, LogStreamArn: this.logStream(record) },
    );
  }

  private containerHeaders(request: IncomingMessage, contentType: string | undefined, accept: string | undefined) {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    if (accept) headers.accept = accept;
    const custom = request.headers['x-amzn-sagemaker-custom-attributes'];
    if (typeof custom === 'string') headers['x-amzn-sagemaker-custom-attributes'] = custom;
    return headers;
  }

  private async invoke(name: string, request: IncomingMessage, response: ServerResponse, body: Buffer) {
    const record = this.endpointFor(name);
    const variant = this.route(record, header(request, 'x-amzn-sagemaker-target-variant'));
    const answer = await this.forward(
      record,
      variant,
      this.containerHeaders(request, header(request, 'content-type'), header(request, 'accept')),
      body,
    );
    const bytes = Buffer.from(await answer.arrayBuffer());
    const headers: Record<string, string> = {
      'content-type': answer.headers.get('content-type') ?? 'application/octet-stream',
      'x-amzn-invoked-production-variant': variant.name,
      'x-amzn-requestid': randomUUID(),
      'content-length': String(bytes.length),
    };
    const custom = answer.headers.get('x-amzn-sagemaker-custom-attributes');
    if (custom) headers['x-amzn-sagemaker-custom-attributes'] = custom;
    response.writeHead(200, headers);
    response.end(bytes);
  }

  private async invokeStream(name: string, request: IncomingMessage, response: ServerResponse, body: Buffer) {
    const record = this.endpointFor(name);
    const variant = this.route(record, header(request, 'x-amzn-sagemaker-target-variant'));
    // The streaming call names its types in SageMaker headers; the container sees plain ones.
    const answer = await this.forward(
      record,
      variant,
      this.containerHeaders(request, header(request, 'content-type'), header(request, 'x-amzn-sagemaker-accept')),
      body,
    );
    response.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-sagemaker-content-type': answer.headers.get('content-type') ?? 'application/octet-stream',
      'x-amzn-invoked-production-variant': variant.name,
      'x-amzn-requestid': randomUUID(),
    });
    const faultIndex = this.faults.findIndex((fault) => fault.endpointName === name);
    const fault = faultIndex === -1 ? undefined : this.faults.splice(faultIndex, 1)[0];
    let parts = 0;
    try {
      const reader = (answer.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        if (fault && parts >= fault.afterParts) {
          await reader.cancel();
          writeEvent(response, streamError(fault.errorCode, fault.message));
          break;
        }
        const { value, done } = await reader.read();
        if (done) break;
        parts++;
        writeEvent(response, {
          headers: {
            ':message-type': { type: 'string', value: 'event' },
            ':event-type': { type: 'string', value: 'PayloadPart' },
            ':content-type': { type: 'string', value: 'application/octet-stream' },
          },
          body: value,
        });
      }
    } catch (error) {
      // The container's connection broke mid-answer: SageMaker reports it inside the stream.
      writeEvent(response, streamError('StreamBroken', `The stream from the model broke: ${(error as Error).message}`));
    }
    response.end();
  }

  private async invokeAsync(name: string, request: IncomingMessage, response: ServerResponse) {
    const record = this.endpointFor(name);
    const asyncConfig = record.live?.config.description.AsyncInferenceConfig as Json | undefined;
    if (!asyncConfig) {
      throw new AwsError(
        'ValidationError',
        `Endpoint ${name} of account ${ACCOUNT_ID} is not an async inference endpoint.`,
      );
    }
    const inputLocation = header(request, 'x-amzn-sagemaker-inputlocation');
    if (!inputLocation) {
      throw new AwsError(
        'ValidationError',
        "1 validation error detected: Value null at 'inputLocation' failed to satisfy constraint: Member must not be null",
      );
    }
    const output = asyncConfig.OutputConfig as Json;
    const inferenceId = header(request, 'x-amzn-sagemaker-inference-id') ?? randomUUID();
    const outputLocation = `${String(output.S3OutputPath).replace(/\/$/, '')}/${inferenceId}.out`;
    const failureBase = String(output.S3FailurePath ?? output.S3OutputPath).replace(/\/$/, '');
    const failureLocation = `${failureBase}/${inferenceId}-error.out`;
    const contentType = header(request, 'x-amzn-sagemaker-content-type');
    const accept = header(request, 'x-amzn-sagemaker-accept');
    const headers = this.containerHeaders(request, contentType, accept);
    const done = this.processAsync(record, inputLocation, outputLocation, failureLocation, headers);
    this.asyncInvocations.push({ inferenceId, endpointName: name, outputLocation, failureLocation, done });
    response.writeHead(202, {
      'content-type': 'application/json',
      'x-amzn-sagemaker-outputlocation': outputLocation,
      'x-amzn-sagemaker-failurelocation': failureLocation,
      'x-amzn-requestid': randomUUID(),
    });
    response.end(JSON.stringify({ InferenceId: inferenceId }));
  }

  private async processAsync(
    record: EndpointRecord,
    inputLocation: string,
    outputLocation: string,
    failureLocation: string,
    headers: Record<string, string>,
  ): Promise<void> {
    const [{ GetObjectCommand, PutObjectCommand }, s3] = await Promise.all([import('@aws-sdk/client-s3'), this.s3()]);
    await new Promise((resolve) => setTimeout(resolve, this.asyncLatencyMs));
    const put = (location: string, body: Buffer | string, type: string) => {
      const { bucket, key } = parseS3Url(location);
      return s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: type }));
    };
    try {
      const { bucket, key } = parseS3Url(inputLocation);
      const input = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from(
        await (input.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      const variant = this.route(record, undefined);
      const answer = await this.forward(record, variant, headers, body);
      await put(
        outputLocation,
        Buffer.from(await answer.arrayBuffer()),
        answer.headers.get('content-type') ?? 'application/octet-stream',
      );
    } catch (error) {
      await put(failureLocation, error instanceof Error ? error.message : String(error), 'text/plain');
    }
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function streamError(errorCode: string, message: string): Parameters<EventStreamCodec['encode']>[0] {
  return {
    headers: {
      ':message-type': { type: 'string', value: 'exception' },
      ':exception-type': { type: 'string', value: 'ModelStreamError' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify({ Message: message, ErrorCode: errorCode })),
  };
}

function writeEvent(response: ServerResponse, message: Parameters<EventStreamCodec['encode']>[0]): void {
  response.write(codec.encode(message));
}
