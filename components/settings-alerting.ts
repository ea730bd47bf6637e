// The `alerting` settings section: the thresholds the alerts compare with (components/alerts.ts)
// and where notifications go (components/alertmanager.ts). Every field says what it means (the
// README's settings table is generated from it). URLs and keys of contact points are secrets: they
// reach Alertmanager as files, never inside its config.
import { z } from "zod";
import { crossCheck, duration, secret, url } from "./settings-fields.js";

const usd = (what: string) => z.number({ message: `must be ${what} in US dollars` }).positive({ message: "must be above 0 (US dollars)" });

const SEVERITIES = ["critical", "warning"] as const;
export type Severity = (typeof SEVERITIES)[number];
const severities = (dflt: Severity[]) =>
  z
    .array(z.enum(SEVERITIES, { message: "must be 'critical' or 'warning'" }))
    .min(1)
    .default(dflt)
    .describe("severities of the alerts sent here");

const HOST_PORT_RE = /^[a-zA-Z0-9.-]+:\d{1,5}$/;

const receiversSchema = z
  .object({
    slack: z
      .object({
        webhookUrl: secret(url(["https"])).describe("Slack incoming-webhook URL"),
        channel: z
          .string()
          .regex(/^[#@]?[a-z0-9_-]{1,80}$/, { message: "must be a Slack channel such as #claude-code-alerts" })
          .optional()
          .describe("channel, when the webhook may post to several"),
        severities: severities(["critical", "warning"]),
      })
      .strict()
      .optional(),
    pagerduty: z
      .object({
        routingKey: secret(
          z.string().regex(/^[A-Za-z0-9]{32}$/, { message: "must be a PagerDuty Events API v2 integration key (32 letters and digits)" }),
        ).describe("PagerDuty Events API v2 integration (routing) key"),
        severities: severities(["critical"]),
      })
      .strict()
      .optional(),
    email: crossCheck(
      z
        .object({
          to: z.email({ message: "must be an e-mail address" }).describe("address notifications are sent to"),
          from: z.email({ message: "must be an e-mail address" }).describe("sender address"),
          smarthost: z
            .string()
            .regex(HOST_PORT_RE, { message: "must be host:port of an SMTP server, such as smtp.example.com:587" })
            .describe("SMTP server, host:port"),
          username: z.string().min(1).optional().describe("SMTP user, with `password`"),
          password: secret(z.string().min(1)).optional().describe("SMTP password"),
          requireTls: z.boolean().default(true).describe("refuse to send without STARTTLS"),
          severities: severities(["critical", "warning"]),
        })
        .strict(),
      (e, report) => {
        if ((e.password === undefined) !== (e.username === undefined)) report([], "SMTP auth needs both username and password");
      },
    ).optional(),
    webhook: z
      .object({
        url: secret(url()).describe("generic webhook: Alertmanager's JSON payload is POSTed here"),
        severities: severities(["critical", "warning"]),
      })
      .strict()
      .optional(),
  })
  .strict();

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

const workingHoursSchema = crossCheck(
  z
    .object({
      days: z
        .array(z.enum(WEEKDAYS, { message: "must be a weekday in lower case, such as monday" }))
        .min(1)
        .default(["monday", "tuesday", "wednesday", "thursday", "friday"])
        .describe("days on which silence alerts"),
      start: z.number().int().min(0).max(23).default(9).describe("first hour of the working day (0–23, in `utcOffset`)"),
      end: z.number().int().min(1).max(24).default(18).describe("hour the working day ends (1–24, in `utcOffset`)"),
      utcOffset: z
        .number()
        .min(-12)
        .max(14)
        .refine((h) => Number.isInteger(h * 4), { message: "must be whole hours or quarters, such as 1, -5 or 5.5" })
        .default(0)
        .describe("offset of the working hours' time zone from UTC, in hours (fixed: adjust it for daylight saving time)"),
    })
    .strict(),
  (w, report) => {
    if (typeof w.start === "number" && typeof w.end === "number" && w.end <= w.start) report(["end"], `must be after start (${w.start})`);
  },
);

export const alertingSchema = z
  .object({
    dailyBudgetUsd: usd("a daily budget").optional().describe("alert when the organisation's spend over the last 24 hours exceeds this"),
    teamDailyBudgetsUsd: z
      .record(z.string().regex(/^[A-Za-z0-9_.@-]{1,128}$/, { message: "must be a team label value" }), usd("a daily budget"))
      .default({})
      .describe("per team (the `team` resource attribute): alert when its spend over the last 24 hours exceeds this"),
    monthlyBudgetUsd: usd("a monthly budget")
      .optional()
      .describe(
        "alert when this calendar month's spend (UTC), projected at the last 7 days' pace, will exceed this; needs `prometheus.retentionTime` of 31d or more",
      ),
    runawayFactor: z
      .number()
      .min(1.5)
      .max(1000)
      .default(5)
      .describe("runaway use: a person's last-hour spend this many times their average per active hour of the past 7 days"),
    runawayMinHourlyUsd: usd("an hourly spend").default(20).describe("runaway use: ignore a person's hour below this spend (no page for small users)"),
    apiErrorRatio: z.number().gt(0).lt(1).default(0.05).describe("alert when this share of a model's API requests fail (last 10 minutes)"),
    apiErrorMinRequests: z.number().int().min(1).default(20).describe("fewest requests of a model in 10 minutes for the error-ratio alert"),
    rateLimitedPer10m: z.number().int().min(1).default(20).describe("alert when a model has at least this many 429 (rate limited) errors in 10 minutes"),
    serverErrorsPer10m: z.number().int().min(1).default(10).describe("alert when a model has at least this many 5xx errors in 10 minutes"),
    silenceAfter: duration().default("30m").describe("alert when no Claude Code data arrived for this long within working hours while the collector is up"),
    workingHours: workingHoursSchema.prefault({}),
    minWeeklyActivePeople: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "alert when fewer people used Claude Code in the last 7 days (counted as the dashboards count them: installations stand in for sessions with no identity of a person)",
      ),
    receivers: receiversSchema.prefault({}),
  })
  .strict();

export type AlertingSettings = z.output<typeof alertingSchema>;
export type WorkingHours = z.output<typeof workingHoursSchema>;
export const WEEKDAY_NUMBERS: Readonly<Record<(typeof WEEKDAYS)[number], number>> = Object.fromEntries(WEEKDAYS.map((d, i) => [d, i])) as Record<
  (typeof WEEKDAYS)[number],
  number
>;

/** The alerting settings of a stack file that has none. */
export const DEFAULT_ALERTING: AlertingSettings = alertingSchema.parse({});
