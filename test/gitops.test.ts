// The GitOps pipeline examples (examples/gitops/): the GitHub Actions workflow passes the real
// actionlint and keeps to its rules (actions pinned by commit, least privilege, no expression in a
// script), the script both pipelines run does what they rely on (checked with a recording stand-in
// for the Pulumi CLI, which cannot run here), and the GitLab pipeline calls only what exists.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { describeWithTools, runTool } from "./support/tools.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const GITOPS = path.join(ROOT, "examples", "gitops");
const WORKFLOW = path.join(GITOPS, "github", "workflows", "claude-code-telemetry.yml");
const GITLAB = path.join(GITOPS, "gitlab", ".gitlab-ci.yml");
const EACH_STACK = path.join(GITOPS, "pulumi-each-stack.sh");
const workflow = parse(readFileSync(WORKFLOW, "utf8"));
const scripts = Object.keys(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);

/** actionlint on one file; no shellcheck or pyflakes, so the result is the same on every machine. */
const actionlint = (file: string) => runTool("actionlint", ["-no-color", "-shellcheck=", "-pyflakes=", file]);

describeWithTools(["actionlint"], "the GitHub Actions workflow, checked by the real actionlint", () => {
  it("passes actionlint", async () => {
    const r = await actionlint(WORKFLOW);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("actionlint fails a broken copy (a job that needs one that does not exist), naming the line", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "actionlint-"));
    const broken = path.join(dir, "broken.yml");
    writeFileSync(broken, readFileSync(WORKFLOW, "utf8").replace("    needs: test\n", "    needs: tests\n"));
    const r = await actionlint(broken);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/broken\.yml:\d+:\d+: job "preview" needs job "tests" which does not exist/);
  });
});

describe("the GitHub Actions workflow's own rules", () => {
  const jobs = workflow.jobs as Record<string, any>;
  const steps = Object.entries(jobs).flatMap(([job, j]) => (j.steps as any[]).map((s) => ({ job, ...s })));

  it("pins every action by a full commit, with the release it was taken from beside it", () => {
    const text = readFileSync(WORKFLOW, "utf8");
    const uses = [...text.matchAll(/uses: (\S+)(.*)$/gm)].map((m) => [m[1], m[2]] as const);
    expect(uses.length).toBeGreaterThan(8);
    for (const [ref, comment] of uses) {
      expect(ref, ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(comment, ref).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
    // One release per action across the file.
    const byAction = new Map<string, Set<string>>();
    for (const [ref = ""] of uses) {
      const action = ref.split("@")[0] ?? "";
      byAction.set(action, (byAction.get(action) ?? new Set()).add(ref));
    }
    for (const [action, refs] of byAction) expect(refs.size, action).toBe(1);
  });

  it("reads by default; only the diff comment may write, to pull requests", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    const writes = Object.entries(jobs).flatMap(([name, j]) =>
      Object.entries(j.permissions ?? {})
        .filter(([, v]) => v !== "read")
        .map(([k, v]) => `${name}: ${k}=${v}`),
    );
    expect(writes).toEqual(["generated-files: pull-requests=write"]);
    for (const s of steps.filter((x) => String(x.uses ?? "").startsWith("actions/checkout@"))) expect(s.with?.["persist-credentials"], s.job).toBe(false);
  });

  it("puts no expression into a script (secrets and event fields reach scripts through env only)", () => {
    for (const s of steps.filter((x) => x.run)) expect(s.run, `${s.job}: ${s.name ?? s.run}`).not.toContain("${{");
    const secretUses = steps.flatMap((s) => Object.values(s.env ?? {}).filter((v) => String(v).includes("secrets.")));
    expect(secretUses.length).toBeGreaterThan(0);
  });

  it("previews pull requests from this repository and deploys main one run at a time, each after the tests", () => {
    expect(jobs.preview.needs).toBe("test");
    expect(jobs.preview.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(jobs.deploy.needs).toBe("test");
    expect(jobs.deploy.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(jobs.deploy.concurrency).toEqual({ group: "claude-code-telemetry-deploy", "cancel-in-progress": false });
    expect(jobs.deploy.strategy).toBeUndefined();
    const runOf = (job: string) => (jobs[job].steps as any[]).flatMap((s) => (s.run ? [s.run.trim()] : [])).join("\n");
    expect(runOf("preview")).toContain("bash examples/gitops/pulumi-each-stack.sh preview");
    expect(runOf("deploy")).toContain("bash examples/gitops/pulumi-each-stack.sh up");
    expect(runOf("test")).toMatch(/^npm ci\n(sudo apt-get update -q\n)?npm test$/);
    expect(runOf("generated-files")).toMatch(/npm run --silent render -- [^]*npm run --silent render-diff -- /);
    for (const s of ["render", "render-diff", "test"]) expect(scripts).toContain(s);
  });

  it("pins the Pulumi CLI to the version of the project's @pulumi/pulumi", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(workflow.env.PULUMI_VERSION).toBe(pkg.dependencies["@pulumi/pulumi"]);
    expect(parse(readFileSync(GITLAB, "utf8")).variables.PULUMI_IMAGE).toBe(`pulumi/pulumi-nodejs:${pkg.dependencies["@pulumi/pulumi"]}`);
  });
});

describe("the pipelines' pins", () => {
  it("use one Node.js release in both pipelines, and a Go no older than the tools' build needs", async () => {
    const { MIN_GO } = await import("../lib/tools.js");
    const jobs = Object.values(workflow.jobs as Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>);
    const withOf = (action: string) => [...new Set(jobs.flatMap((j) => j.steps.filter((s) => s.uses?.startsWith(`${action}@`)).map((s) => s.with ?? {})))];
    const nodes = new Set(withOf("actions/setup-node").map((w) => String(w["node-version"])));
    expect([...nodes]).toHaveLength(1);
    const node = [...nodes][0]!;
    expect(node).toMatch(/^\d+\.\d+\.\d+$/);
    expect(parse(readFileSync(GITLAB, "utf8")).variables.NODE_IMAGE).toBe(`node:${node}-bookworm`);
    const gos = withOf("actions/setup-go").map((w) => String(w["go-version"]));
    expect(gos).toHaveLength(1);
    const [major, minor] = gos[0]!.split(".").map(Number) as [number, number];
    expect(major > MIN_GO[0] || (major === MIN_GO[0] && minor >= MIN_GO[1]), gos[0]).toBe(true);
  });
});

describe("pulumi-each-stack.sh, with a recording stand-in for the Pulumi CLI", () => {
  const SECRET = "passphrase-that-must-not-print";
  const KUBE = "apiVersion: v1\nkind: Config\n# kube-secret-that-must-not-print\n";

  /** Runs the script in a copy of the project's policy folder, with `pulumi` recording its calls; `fail` makes that stack fail. */
  function run(args: string[], env: Record<string, string>, opts: { fail?: string; packConfig?: boolean } = {}) {
    const dir = mkdtempSync(path.join(tmpdir(), "each-stack-"));
    mkdirSync(path.join(dir, "bin"));
    mkdirSync(path.join(dir, "policies"));
    if (opts.packConfig) writeFileSync(path.join(dir, "policies", "config.json"), "{}");
    const log = path.join(dir, "calls.log");
    // The stand-in records its arguments, where KUBECONFIG points and what mode and content that file has.
    writeFileSync(
      path.join(dir, "bin", "pulumi"),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\n` +
        `if [ -n "$KUBECONFIG" ]; then printf 'kubeconfig %s %s\\n' "$(stat -c %a "$KUBECONFIG")" "$(grep -c kube-secret "$KUBECONFIG")" >> "${log}"; fi\n` +
        (opts.fail ? `case "$*" in *"--stack ${opts.fail} "*) echo "error: preview failed: policy violation" >&2; exit 255;; esac\n` : "") +
        "exit 0\n",
    );
    chmodSync(path.join(dir, "bin", "pulumi"), 0o755);
    const r = spawnSync("bash", [EACH_STACK, ...args], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, HOME: dir, TMPDIR: dir, ...env },
    });
    const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    const leftovers = readdirSync(dir).filter((n) => n.startsWith("kube.") && statSync(path.join(dir, n)).isDirectory());
    return { status: r.status, out: r.stdout + r.stderr, calls, leftovers };
  }
  const env = { STACKS: "enterprise staging", PULUMI_BACKEND_URL: "file:///state", PULUMI_CONFIG_PASSPHRASE: SECRET, KUBECONFIG_CONTENT: KUBE };

  it("logs in to the backend, then previews each stack in turn with the policy pack, from a kubeconfig only its user can read", () => {
    const r = run(["preview"], env);
    expect(r.status, r.out).toBe(0);
    expect(r.calls).toEqual([
      "login --non-interactive file:///state",
      "kubeconfig 600 1",
      "preview --stack enterprise --non-interactive --policy-pack policies --diff",
      "kubeconfig 600 1",
      "preview --stack staging --non-interactive --policy-pack policies --diff",
      "kubeconfig 600 1",
    ]);
    expect(r.leftovers).toEqual([]);
    expect(r.out).not.toContain(SECRET);
    expect(r.out).not.toContain("kube-secret");
  });

  it("updates with --yes, and passes the team's pack config when the repository has one", () => {
    const r = run(["up"], { ...env, STACKS: "enterprise" }, { packConfig: true });
    expect(r.status, r.out).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("up "))).toEqual([
      "up --stack enterprise --non-interactive --policy-pack policies --policy-pack-config policies/config.json --diff --yes",
    ]);
  });

  it("stops at the first stack that fails (a mandatory policy violation), with its exit status", () => {
    const r = run(["up"], env, { fail: "enterprise" });
    expect(r.status).toBe(255);
    expect(r.calls.some((c) => c.includes("--stack staging"))).toBe(false);
    expect(r.out).toContain("error: preview failed: policy violation");
    expect(r.leftovers).toEqual([]);
  });

  it("refuses to start without a command, stacks or a backend, in one line each", () => {
    expect(run([], env)).toMatchObject({ status: 2, calls: [] });
    const noStacks = run(["preview"], { ...env, STACKS: "" });
    expect(noStacks.status).toBe(2);
    expect(noStacks.out.trim()).toMatch(/pulumi-each-stack\.sh: set STACKS to the stacks to preview, e\.g\. STACKS=enterprise$/);
    const noBackend = run(["preview"], { ...env, PULUMI_BACKEND_URL: "" });
    expect(noBackend.status).toBe(2);
    expect(noBackend.out.trim().split("\n")).toHaveLength(1);
    expect(noBackend.out).toContain("set PULUMI_BACKEND_URL");
  });
});

describe("the GitLab CI pipeline", () => {
  const ci = parse(readFileSync(GITLAB, "utf8"));
  const jobs = Object.entries(ci).filter(([, v]) => typeof v === "object" && v !== null && "script" in (v as object)) as [string, any][];

  it("puts every job in a declared stage and runs the same commands as the GitHub workflow", () => {
    expect(jobs.map(([n]) => n).sort()).toEqual(["deploy", "generated-files", "preview", "test"]);
    for (const [name, job] of jobs) expect(ci.stages, name).toContain(job.stage);
    const script = (name: string) => (ci[name].script as string[]).join("\n");
    expect(script("test")).toBe("npm ci\nnpm test");
    expect(script("preview")).toContain("bash examples/gitops/pulumi-each-stack.sh preview");
    expect(script("deploy")).toContain("bash examples/gitops/pulumi-each-stack.sh up");
    expect(script("generated-files")).toMatch(/npm run --silent render -- [^]*npm run --silent render-diff -- out\/base out\/head --output render-diff\.md/);
    expect(ci.variables.STACKS).toBe(workflow.env.STACKS);
  });

  it("deploys the default branch only, one pipeline at a time, after the tests", () => {
    expect(ci.deploy.resource_group).toBe("claude-code-telemetry");
    expect(ci.deploy.needs).toEqual(["test"]);
    expect(ci.deploy.rules).toEqual([{ if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" }]);
    expect(ci.preview.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
  });
});
