import http from 'node:http';

/**
 * A small loopback HTTP client on `node:http` (not `fetch`): it keeps `berth list` from loading
 * undici, and every call has a hard timeout.
 */
export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs: number },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const request = http.request(url, { method: options.method ?? 'GET', headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    const timer = setTimeout(
      () => request.destroy(new Error(`timed out after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on('close', () => clearTimeout(timer));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** `{error_code, message}` from an MLflow-style error body, or the raw text. */
export function errorFromBody(text: string): { code: string | undefined; message: string } {
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof parsed.message === 'string') {
      return { code: typeof parsed.error_code === 'string' ? parsed.error_code : undefined, message: parsed.message };
    }
  } catch {
    // not JSON
  }
  return { code: undefined, message: text.trim().slice(0, 2000) };
}

/** Idle keep-alive sockets must not keep a CLI process alive. */
export function releaseConnections(): void {
  agent.destroy();
}
