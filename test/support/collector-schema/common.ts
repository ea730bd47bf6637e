// Shared config blocks of the collector core, as decoded by collector v0.129.0 (the code the
// contrib image 0.129.1 is built from): confignet, configtls, configauth, confighttp, configgrpc,
// configretry and exporterhelper. Spread a `…Fields` record into a component's fields where the Go
// struct embeds it with `mapstructure:",squash"`.

import { anything, bool, componentId, duration, int, list, mapOf, num, obj, oneOf, str } from "./shape.js";
import type { Fields } from "./shape.js";

// confignet.AddrConfig / TCPAddrConfig
const dialer = obj({ timeout: duration() });
export const addrFields: Fields = {
  endpoint: str(),
  transport: oneOf(["tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "ip", "ip4", "ip6", "unix", "unixgram", "unixpacket"]),
  dialer,
};
export const tcpAddrFields: Fields = { endpoint: str(), dialer };

// configtls.Config, embedded by ClientConfig and ServerConfig
const tlsVersion = oneOf(["1.0", "1.1", "1.2", "1.3"]);
const tlsFields: Fields = {
  ca_file: str(),
  ca_pem: str(),
  include_system_ca_certs_pool: bool(),
  cert_file: str(),
  cert_pem: str(),
  key_file: str(),
  key_pem: str(),
  min_version: tlsVersion,
  max_version: tlsVersion,
  cipher_suites: list(str()),
  curve_preferences: list(oneOf(["X25519", "P256", "P384", "P521"])),
  reload_interval: duration(),
  tpm: obj({ enabled: bool(), path: str(), owner_auth: str(), auth: str() }),
};
export const tlsClient = obj({
  ...tlsFields,
  insecure: bool(),
  insecure_skip_verify: bool(),
  server_name_override: str(),
});
export const tlsServer = obj({ ...tlsFields, client_ca_file: str(), client_ca_file_reload: bool() });

// configauth.Config on clients and gRPC servers; confighttp.AuthConfig adds request_params on HTTP servers.
export const clientAuth = obj({ authenticator: componentId() }, { required: ["authenticator"] });
const httpServerAuth = obj(
  { authenticator: componentId(), request_params: list(str()) },
  { required: ["authenticator"] },
);

// configmiddleware.Config. In this version confighttp names the list `middleware` and configgrpc
// `middlewares` (unified to `middlewares` in v0.132.0).
const middlewareList = list(obj({ id: componentId() }, { required: ["id"] }));

export const compression = oneOf(["", "none", "gzip", "zstd", "zlib", "deflate", "snappy", "x-snappy-framed", "lz4"]);

// confighttp.ServerConfig
export const cors = obj({ allowed_origins: list(str()), allowed_headers: list(str()), max_age: int({ min: 0 }) });
export const httpServerFields: Fields = {
  endpoint: str(),
  tls: tlsServer,
  cors,
  auth: httpServerAuth,
  max_request_body_size: int({ min: 0 }),
  include_metadata: bool(),
  response_headers: mapOf(str()),
  compression_algorithms: list(str()),
  read_timeout: duration(),
  read_header_timeout: duration(),
  write_timeout: duration(),
  idle_timeout: duration(),
  middleware: middlewareList,
};

// confighttp.ClientConfig
export const httpClientFields: Fields = {
  endpoint: str(),
  proxy_url: str(),
  tls: tlsClient,
  read_buffer_size: int({ min: 0 }),
  write_buffer_size: int({ min: 0 }),
  timeout: duration(),
  headers: mapOf(str()),
  auth: clientAuth,
  compression,
  compression_params: obj({ level: int() }),
  max_idle_conns: int({ min: 0 }),
  max_idle_conns_per_host: int({ min: 0 }),
  max_conns_per_host: int({ min: 0 }),
  idle_conn_timeout: duration(),
  disable_keep_alives: bool(),
  http2_read_idle_timeout: duration(),
  http2_ping_timeout: duration(),
  cookies: obj({ enabled: bool() }),
  middleware: middlewareList,
};

// configgrpc.ServerConfig
export const grpcServerFields: Fields = {
  ...addrFields,
  tls: tlsServer,
  max_recv_msg_size_mib: int({ min: 0 }),
  max_concurrent_streams: int({ min: 0 }),
  read_buffer_size: int({ min: 0 }),
  write_buffer_size: int({ min: 0 }),
  keepalive: obj({
    server_parameters: obj({
      max_connection_idle: duration(),
      max_connection_age: duration(),
      max_connection_age_grace: duration(),
      time: duration(),
      timeout: duration(),
    }),
    enforcement_policy: obj({ min_time: duration(), permit_without_stream: bool() }),
  }),
  auth: clientAuth,
  include_metadata: bool(),
  middlewares: middlewareList,
};

// configgrpc.ClientConfig
export const grpcClientFields: Fields = {
  endpoint: str(),
  compression,
  tls: tlsClient,
  keepalive: obj({ time: duration(), timeout: duration(), permit_without_stream: bool() }),
  read_buffer_size: int({ min: 0 }),
  write_buffer_size: int({ min: 0 }),
  wait_for_ready: bool(),
  headers: mapOf(str()),
  balancer_name: oneOf(["pick_first", "round_robin"]),
  authority: str(),
  auth: clientAuth,
  middlewares: middlewareList,
};

// configretry.BackOffConfig, under `retry_on_failure`
export const retryOnFailure = obj({
  enabled: bool(),
  initial_interval: duration(),
  randomization_factor: num({ min: 0, max: 1 }),
  multiplier: num({ min: 0 }),
  max_interval: duration(),
  max_elapsed_time: duration(),
});

// exporterhelper.TimeoutConfig (squashed) and QueueBatchConfig (`sending_queue`). `blocking` was
// removed in this version in favour of `block_on_overflow`; `batch` has no `sizer` of its own yet.
export const timeoutFields: Fields = { timeout: duration() };
export const sendingQueue = obj({
  enabled: bool(),
  wait_for_result: bool(),
  block_on_overflow: bool(),
  sizer: oneOf(["requests", "items", "bytes"]),
  queue_size: int({ min: 0 }),
  num_consumers: int({ min: 1 }),
  storage: componentId(),
  batch: obj({ flush_timeout: duration(), min_size: int({ min: 0 }), max_size: int({ min: 0 }) }),
});

// pkg/resourcetotelemetry.Settings
export const resourceToTelemetry = obj({ enabled: bool() });

export const ottlErrorMode = oneOf(["ignore", "silent", "propagate"]);
export const looseMapping = mapOf(anything());
