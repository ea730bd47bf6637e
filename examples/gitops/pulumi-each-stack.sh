#!/usr/bin/env bash
# pulumi-each-stack.sh preview|up: `pulumi preview` or `pulumi up` with the policy pack, for each
# stack in $STACKS in turn, stopping at the first that fails (a mandatory policy violation fails it).
# Reads, from the CI secret store through the environment: PULUMI_BACKEND_URL (the team's state
# backend), PULUMI_ACCESS_TOKEN or PULUMI_CONFIG_PASSPHRASE (whichever the backend and the stacks'
# secrets provider need), KUBECONFIG_CONTENT (a kubeconfig for the cluster). Prints no secret.
set -euo pipefail

command="${1:-}"
case "$command" in
  preview) flags=(--diff) ;;
  up) flags=(--diff --yes) ;;
  *)
    echo "usage: $0 preview|up   (for each stack in \$STACKS)" >&2
    exit 2
    ;;
esac
if [ -z "${STACKS:-}" ]; then
  echo "$0: set STACKS to the stacks to $command, e.g. STACKS=enterprise" >&2
  exit 2
fi
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  echo "$0: set PULUMI_BACKEND_URL to the team's state backend (e.g. s3://<bucket>, azblob://<container>, gs://<bucket>, or Pulumi Cloud's URL)" >&2
  exit 2
fi

# The kubeconfig goes to a file only this user can read, and leaves the environment.
if [ -n "${KUBECONFIG_CONTENT:-}" ]; then
  dir="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kube.XXXXXX")"
  (umask 077 && printf '%s\n' "$KUBECONFIG_CONTENT" > "$dir/config")
  export KUBECONFIG="$dir/config"
  trap 'rm -rf "$dir"' EXIT
fi
unset KUBECONFIG_CONTENT

# A team's own levels for the pack's rules, when the repository has them (examples/gitops/README.md).
pack=(--policy-pack policies)
if [ -f policies/config.json ]; then pack+=(--policy-pack-config policies/config.json); fi

pulumi login --non-interactive "$PULUMI_BACKEND_URL"
for stack in $STACKS; do
  echo "== pulumi $command --stack $stack"
  pulumi "$command" --stack "$stack" --non-interactive "${pack[@]}" "${flags[@]}"
done
