// How late a sample may reach Prometheus and still be stored: clock skew, several collector
// replicas, and the writes the collector holds and retries while Prometheus is down. Prometheus'
// out-of-order window and how long the collector retries remote writes follow from it.

/** Prometheus accepts samples this far behind the newest of their series. */
export const OUT_OF_ORDER_WINDOW = "30m";
