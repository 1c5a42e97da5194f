#!/usr/bin/env bash
# Test-only TLS material for target-http's https tests: a CA, a server certificate for 127.0.0.1
# signed by it, and a client certificate (with its key in the same PEM, as MLflow's
# MLFLOW_TRACKING_CLIENT_CERT_PATH takes it). Valid for 100 years; never use these keys elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days $days -subj "/CN=Berth test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days $days -extfile server.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout client-key.pem -out client.csr -subj "/CN=berth test client" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client-cert.pem -days $days 2>/dev/null
cat client-cert.pem client-key.pem > client.pem
rm -f server.csr client.csr server.ext ca.srl client-cert.pem client-key.pem ca-key.pem
