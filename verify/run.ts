// The verification, in order: health, OTLP ingest and auth, a marked burst that must arrive with the
// right values, then every dashboard panel. Later steps that depend on a failed one are skipped
// (reported as SKIP) instead of waiting for a timeout.
import { lokiArrival, prometheusArrival, recordedArrival } from "./arrival.js";
import { DEFAULT_BURST, newMarker, sendMarkedBurst, type BurstSize } from "./burst.js";
import { grafanaHealth, grafanaProvisioning, lokiHealth, otlpChecks, prometheusHealth } from "./checks.js";
import { NO_FACTS, runFacts } from "./panel-expectations.js";
import { panelChecks } from "./panels.js";
import { privacyChecks } from "./privacy.js";
import { row, type CheckRow } from "./report.js";
import type { Targets } from "./targets.js";

export interface VerifyOptions {
  /** Send the marked burst and check it arrives (off: health, ingest and panels only). */
  send: boolean;
  /** How long to wait for the marked data, from the end of the burst. */
  timeoutMs: number;
  burst?: BurstSize;
  marker?: string;
  /** Per-request timeout of the OTLP checks. */
  otlpTimeoutMs?: number;
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

export async function runVerify(t: Targets, o: VerifyOptions): Promise<CheckRow[]> {
  const say = o.progress ?? (() => undefined);
  const rows: CheckRow[] = [];

  say("Checking service health…");
  const [grafana, prometheus, loki, provisioning] = await Promise.all([
    grafanaHealth(t.grafanaUrl),
    prometheusHealth(t),
    lokiHealth(t),
    grafanaProvisioning(t),
  ]);
  rows.push(grafana, prometheus, loki, ...provisioning);
  const promEp = prometheus.status === "PASS" ? t.prometheus.endpoint : undefined;
  const lokiEp = loki.status === "PASS" ? t.loki.endpoint : undefined;

  say("Checking the OTLP ingest…");
  rows.push(...(await otlpChecks(t, o.otlpTimeoutMs)));

  let facts = NO_FACTS;
  if (!o.send) {
    rows.push(row("Marked burst sent", "SKIP", "--skip-send: no data sent, nothing compared"));
  } else {
    const marker = o.marker ?? newMarker();
    say(`Sending a marked burst (run ${marker}) over ${t.protocol}…`);
    const sent = await sendMarkedBurst(t, marker, o.burst ?? DEFAULT_BURST);
    rows.push(sent.row);
    const run = sent.run;
    if (!run) {
      rows.push(row("Marked data arrival", "SKIP", "nothing to wait for: the burst was not sent"));
    } else {
      const deadline = Date.now() + o.timeoutMs;
      say(`Waiting up to ${Math.round(o.timeoutMs / 1000)} s for the run in Prometheus and Loki (the last-sample rule runs once a minute)…`);
      const skipped = (what: string) => [row(what, "SKIP", "not checked: the service is not ready")];
      const [raw, recorded, logs] = await Promise.all([
        promEp ? prometheusArrival(promEp, run, deadline) : skipped("Prometheus: the run"),
        promEp ? recordedArrival(promEp, run, deadline).then((r) => [r]) : skipped("Prometheus: the dashboards' series count the run"),
        lokiEp ? lokiArrival(lokiEp, run, deadline) : skipped("Loki: the run"),
      ]);
      rows.push(...raw, ...recorded, ...logs);
      say("Checking the privacy policy with a probe that sends more than it allows…");
      rows.push(...(await privacyChecks(t, promEp, lokiEp, t.privacy, `${marker}-privacy`, Math.max(deadline, Date.now() + 60_000))));
      const ok = (r: CheckRow | undefined) => r?.status === "PASS" || r?.status === "WARN";
      facts = runFacts(run.expected, { recorded: ok(recorded[0]), loki: ok(logs[0]) });
    }
  }

  say("Running every dashboard panel query…");
  rows.push(...(await panelChecks({ prometheus: promEp, loki: lokiEp }, facts)));
  return rows;
}
