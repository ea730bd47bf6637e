// Alerts on how Claude Code is used, from the stack's alerting settings: spend against budgets
// (daily, per team, the month's forecast), one person's runaway use, API errors, telemetry silence
// in working hours, and adoption below a floor. They read the collector's increments and the hourly
// roll-ups (components/prometheus-rules.ts), never a per-session series.
import type { AlertingSettings, WorkingHours } from "./settings-alerting.js";
import { WEEKDAY_NUMBERS } from "./settings-alerting.js";
import { API_EVENT_COUNTERS, USAGE_COUNTERS, USER_ACTIVITY } from "./usage-series.js";
import { CURRENT_MONTH, RECORDED_COST, RECORDED_USERS, SERVICE_MATCHER, USER_LABEL, type AlertingRule, type RuleGroup } from "./prometheus-rules.js";
import { COLLECTOR_JOB } from "./alerts-pipeline.js";

const sel = (series: string, extra = "") => `${series}{${SERVICE_MATCHER}${extra}}`;
const cost = (extra = "") => sel(USAGE_COUNTERS.cost.series, extra);
const usd = (n: number) => `${n} USD`;
/** A money value in a template, two decimals. */
const MONEY = `{{ $value | printf "%.2f" }} USD`;
const PERSON = `${USER_LABEL}!=""`;

function spendRules(a: AlertingSettings): AlertingRule[] {
  const rules: AlertingRule[] = [];
  if (a.dailyBudgetUsd !== undefined) {
    rules.push({
      alert: "ClaudeCodeDailySpendOverBudget",
      expr: `sum(sum_over_time(${cost()}[1d])) > ${a.dailyBudgetUsd}`,
      for: "5m",
      severity: "warning",
      summary: "Claude Code spend over the last 24 hours is above the daily budget",
      description: `${MONEY} spent in the last 24 hours; the daily budget is ${usd(a.dailyBudgetUsd)}.`,
      runbook:
        "Open the Cost dashboard for the last 24 hours: which teams, people and models spent it. Raise alerting.dailyBudgetUsd if the budget is outdated.",
      noData: "quiet",
    });
  }
  for (const [team, budget] of Object.entries(a.teamDailyBudgetsUsd)) {
    rules.push({
      alert: "ClaudeCodeTeamDailySpendOverBudget",
      expr: `sum by (team) (sum_over_time(${cost(`,team=${JSON.stringify(team)}`)}[1d])) > ${budget}`,
      for: "5m",
      severity: "warning",
      labels: { budget_usd: String(budget) },
      summary: "Team {{ $labels.team }} spent more than its daily budget",
      description: `${MONEY} spent by {{ $labels.team }} in the last 24 hours; its daily budget is ${usd(budget)}.`,
      runbook:
        "Open the Cost dashboard with the team selected: its people and models. The team's budget is alerting.teamDailyBudgetsUsd in the stack settings.",
      noData: "quiet",
    });
  }
  return rules;
}

/**
 * The month's spend so far (from the per-team hourly roll-up, whose `month` label says which
 * calendar month each hour ended in) plus the last 7 days' daily pace for the rest of the month.
 */
function forecastRule(budget: number): AlertingRule {
  const monthToDate = `(sum(sum_over_time(${RECORDED_COST.perTeamHour}[31d]) and on (month) ${CURRENT_MONTH}) or vector(0))`;
  const dailyPace = `(sum(sum_over_time(${RECORDED_COST.perTeamHour}[7d])) / 7)`;
  const daysLeft = `(days_in_month() - day_of_month() + 1 - (hour() * 3600 + minute() * 60) / 86400)`;
  return {
    alert: "ClaudeCodeMonthlySpendForecastOverBudget",
    expr: `${monthToDate} + ${dailyPace} * ${daysLeft} > ${budget}`,
    for: "1h",
    severity: "warning",
    summary: "Claude Code spend is on course to exceed the monthly budget",
    description: `This month's spend so far plus the last 7 days' daily pace until the month ends comes to ${MONEY}; the monthly budget is ${usd(budget)}.`,
    runbook:
      "Open the Cost dashboard for this month and the last 7 days: which teams and models grew. Set team budgets (alerting.teamDailyBudgetsUsd) to see it sooner.",
    noData: "quiet",
  };
}

/**
 * One person's spend in the last hour against their own average per active hour over the 7 days
 * before it (a person without that history is compared with the floor alone).
 */
function runawayRule(a: AlertingSettings): AlertingRule {
  const by = `sum by (${USER_LABEL})`;
  const lastHour = `${by} (sum_over_time(${cost(`,${PERSON}`)}[1h]))`;
  const baseline =
    `(${by} (sum_over_time(${RECORDED_COST.perPersonHour}{${PERSON}}[7d] offset 1h))` +
    ` / ${by} (count_over_time(${RECORDED_USERS.perHour}{${PERSON}}[7d] offset 1h)))`;
  return {
    alert: "ClaudeCodeRunawaySpend",
    expr: `${lastHour} > ${a.runawayMinHourlyUsd} and (${lastHour} > ${a.runawayFactor} * ${baseline} or ${lastHour} unless on (${USER_LABEL}) ${baseline})`,
    for: "5m",
    severity: "critical",
    summary: "{{ $labels.user }} is spending far above their usual pace",
    description: `${MONEY} in the last hour: above ${a.runawayFactor}× their average per active hour of the past 7 days, and above the floor of ${usd(a.runawayMinHourlyUsd)}.`,
    runbook:
      "Ask the person (a loop in a headless run, a script calling Claude Code, a very large context?). The Developer dashboard shows their sessions and models; the events in Loki show each request.",
    noData: "quiet",
  };
}

function apiErrorRules(a: AlertingSettings): AlertingRule[] {
  const window = "10m";
  const errors = (extra = "") => `sum by (model) (sum_over_time(${sel(API_EVENT_COUNTERS.errors.series, extra)}[${window}]))`;
  const requests = `sum by (model) (sum_over_time(${sel(API_EVENT_COUNTERS.requests.series)}[${window}]))`;
  // Failed requests are api_error events, successful ones api_request events: both make the total.
  const total = `(${errors()} + (${requests} or ${errors()} * 0))`;
  const surge = (alert: string, statusMatcher: string, floor: number, what: string, runbook: string): AlertingRule => ({
    alert,
    expr: `${errors(`,status_code${statusMatcher}`)} >= ${floor}`,
    for: "2m",
    severity: "warning",
    summary: `{{ $labels.model }}: ${what}`,
    description: `{{ $value }} requests to {{ $labels.model }} failed with ${what} in the last ${window} (threshold ${floor}).`,
    runbook,
    noData: "quiet",
  });
  return [
    {
      alert: "ClaudeCodeApiErrorRatioHigh",
      expr: `${errors()} / ${total} > ${a.apiErrorRatio} and on (model) ${total} >= ${a.apiErrorMinRequests}`,
      for: "5m",
      severity: "warning",
      summary: "Many Claude API requests to {{ $labels.model }} fail",
      description: `{{ $value | humanizePercentage }} of the requests to {{ $labels.model }} in the last ${window} failed after their retries (threshold ${a.apiErrorRatio * 100}%, from ${a.apiErrorMinRequests} requests).`,
      runbook:
        "The api_error events in Loki (Quality dashboard) carry the error text and status code; check the provider's status page and any proxy or gateway in between.",
      noData: "quiet",
    },
    surge(
      "ClaudeCodeApiRateLimited",
      '="429"',
      a.rateLimitedPer10m,
      "rate limited (429)",
      "The organisation hits its rate limits: spread heavy headless runs, or ask the provider for higher limits.",
    ),
    surge(
      "ClaudeCodeApiServerErrors",
      '=~"5.."',
      a.serverErrorsPer10m,
      "server errors (5xx)",
      "The API or a gateway in between fails: check the provider's status page; nothing to change on the clients.",
    ),
  ];
}

/** 1 during working hours (at the configured fixed UTC offset), nothing outside them. */
export function workingHoursExpr(w: WorkingHours): string {
  const local = w.utcOffset === 0 ? "vector(time())" : `vector(time() + ${w.utcOffset * 3600})`;
  const days = w.days.map((d) => `day_of_week(${local}) == ${WEEKDAY_NUMBERS[d]}`).join(" or ");
  return `(hour(${local}) >= ${w.start} < ${w.end}) and on () (${days})`;
}

function silenceRule(a: AlertingSettings): AlertingRule {
  const w = a.workingHours;
  return {
    alert: "ClaudeCodeTelemetrySilent",
    // absent_over_time: fires when there is no data at all, which is exactly the problem.
    expr: `absent_over_time(${sel(USER_ACTIVITY.series)}[${a.silenceAfter}]) and on () (max(up{job="${COLLECTOR_JOB}"}) == 1) and on () ${workingHoursExpr(w)}`,
    for: "5m",
    severity: "critical",
    summary: `No Claude Code data for ${a.silenceAfter} in working hours, while the collector is up`,
    description: `Nothing has arrived from any developer for ${a.silenceAfter} (working hours ${w.start}:00–${w.end}:00, UTC${w.utcOffset >= 0 ? "+" : ""}${w.utcOffset}); the collector answers, so clients or ingest are broken.`,
    runbook:
      "Run `npm run check-endpoint` against the public OTLP endpoint (TLS, token, ingress); check a recent change of the managed settings or of the ingest token; the collector's refused counters show rejected requests.",
    noData: "fires",
  };
}

function adoptionRule(floor: number): AlertingRule {
  const people = `count(group by (${USER_LABEL}) (count_over_time(${RECORDED_USERS.perHour}{${PERSON}}[7d])))`;
  return {
    alert: "ClaudeCodeAdoptionBelowFloor",
    expr: `(${people} or vector(0)) < ${floor}`,
    for: "2h",
    severity: "warning",
    summary: "Fewer people used Claude Code this week than expected",
    description: `{{ $value }} people used Claude Code in the last 7 days (installations counted for sessions with no identity of a person); the floor is ${floor}.`,
    runbook:
      "Open the Adoption dashboard by team: where use stalled. Check that the managed settings reach new machines (a team missing entirely is usually a rollout gap).",
    noData: "fires",
  };
}

/** The alert groups of Claude Code's use; interval: how often each is evaluated (the global interval where absent). */
export function usageAlertGroups(a: AlertingSettings): RuleGroup<AlertingRule>[] {
  const groups: RuleGroup<AlertingRule>[] = [];
  const spend = spendRules(a);
  // Daily sums read a day of increments: every 5 minutes is timely enough for a budget.
  if (spend.length > 0) groups.push({ name: "claude_code_spend", interval: "5m", rules: spend });
  // The baseline reads a week of each person's hourly roll-ups: every 5 minutes keeps it cheap at
  // 10,000 people, and a runaway hour still alerts within minutes.
  groups.push({ name: "claude_code_runaway", interval: "5m", rules: [runawayRule(a)] });
  // The forecast and adoption read hourly roll-ups: evaluating them more often adds nothing.
  const hourly = [
    ...(a.monthlyBudgetUsd !== undefined ? [forecastRule(a.monthlyBudgetUsd)] : []),
    ...(a.minWeeklyActivePeople !== undefined ? [adoptionRule(a.minWeeklyActivePeople)] : []),
  ];
  if (hourly.length > 0) groups.push({ name: "claude_code_budget_adoption", interval: "1h", rules: hourly });
  groups.push({ name: "claude_code_api_errors", rules: apiErrorRules(a) });
  groups.push({ name: "claude_code_silence", rules: [silenceRule(a)] });
  return groups;
}
