import { readFile } from 'node:fs/promises';
import { BerthError } from '@berth/core';
import { readBoolean, readFirst } from './environment-variable.js';

/** TLS settings of MLflow's tracking variables, each with a Berth name that comes first. */
export interface TlsSettings {
  /** Do not verify the server's certificate or host name (tests only). */
  insecure: boolean;
  /** A CA bundle (PEM) to verify the server with, instead of the system's. */
  serverCertPath?: string;
  /** A PEM file with the client's certificate and private key, for servers that ask for one. */
  clientCertPath?: string;
}

export const INSECURE_TLS_VARIABLES = ['BERTH_INSECURE_TLS', 'MLFLOW_TRACKING_INSECURE_TLS'];
export const SERVER_CERT_VARIABLES = ['BERTH_SERVER_CERT_PATH', 'MLFLOW_TRACKING_SERVER_CERT_PATH'];
export const CLIENT_CERT_VARIABLES = ['BERTH_CLIENT_CERT_PATH', 'MLFLOW_TRACKING_CLIENT_CERT_PATH'];

export function tlsSettingsFromEnvironment(environment: NodeJS.ProcessEnv = process.env): TlsSettings {
  const insecure = readBoolean(environment, INSECURE_TLS_VARIABLES);
  const serverCert = readFirst(environment, SERVER_CERT_VARIABLES);
  const clientCert = readFirst(environment, CLIENT_CERT_VARIABLES);
  if (insecure.on && serverCert) {
    // MLflow refuses the pair too: "verify nothing" and "verify with this CA" cannot both hold.
    throw BerthError.invalidParameterValue(
      `${insecure.variable} is true and ${serverCert.variable} is set; only one of them may be set (skipping verification and verifying with a CA bundle contradict each other).`,
      { suggestions: [`Unset ${insecure.variable} to verify with the CA bundle, or unset ${serverCert.variable}.`] },
    );
  }
  return {
    insecure: insecure.on,
    ...(serverCert ? { serverCertPath: serverCert.value } : {}),
    ...(clientCert ? { clientCertPath: clientCert.value } : {}),
  };
}

export function needsOwnDispatcher(settings: TlsSettings): boolean {
  return settings.insecure || settings.serverCertPath !== undefined || settings.clientCertPath !== undefined;
}

/** A fetch bound to an undici Agent with these TLS settings, and how to close that Agent's sockets. */
export interface OwnFetch {
  fetch: (input: string | URL, init: RequestInit) => Promise<Response>;
  close(): Promise<void>;
}

/**
 * Node's own fetch takes no TLS options, so an https server with a private CA, client certificates
 * or verification off goes through undici's fetch and an Agent of its own (loaded only then: undici
 * costs more to import than the whole of a `berth predict`).
 */
export async function createTlsFetch(settings: TlsSettings): Promise<OwnFetch> {
  const connect: Record<string, unknown> = { rejectUnauthorized: !settings.insecure };
  if (settings.serverCertPath !== undefined) {
    connect.ca = await readPem(settings.serverCertPath, SERVER_CERT_VARIABLES, 'a CA bundle');
  }
  if (settings.clientCertPath !== undefined) {
    // requests' `cert=path` form: one PEM holding the certificate and its key; TLS picks each block.
    const pem = await readPem(settings.clientCertPath, CLIENT_CERT_VARIABLES, 'a client certificate and key');
    connect.cert = pem;
    connect.key = pem;
  }
  const undici = await import('undici');
  const agent = new undici.Agent({ connect });
  const bound = (input: string | URL, init: RequestInit) =>
    undici.fetch(input, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
  return { fetch: bound, close: () => agent.close() };
}

async function readPem(path: string, variables: readonly string[], what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw BerthError.invalidParameterValue(
      `${variables.join(' / ')} names ${path} (${what}), which cannot be read (${reason}).`,
      {
        cause,
      },
    );
  }
}
