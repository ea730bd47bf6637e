// What stands for each secret wherever a file or record must not hold it: the rendered files
// (npm run render) and the client settings the policy pack reads.
export const PLACEHOLDERS = {
  grafanaAdminPassword: "<grafana-admin-password>",
  ingestToken: "<ingest-token>",
  previousIngestToken: "<previous-ingest-token>",
  remoteWritePassword: "<remote-write-password>",
  remoteWriteBearerToken: "<remote-write-bearer-token>",
  identityHashKey: "<identity-hash-key>",
  slack: "<slack-webhook-url>",
  pagerduty: "<pagerduty-routing-key>",
  email: "<smtp-password>",
  webhook: "<webhook-url>",
} as const;
