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
