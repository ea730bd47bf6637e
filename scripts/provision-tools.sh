#!/usr/bin/env bash
# Puts Prometheus 3.x, promtool and vmagent into a project-local cache (default .cache/tools,
# override with TOOLS_DIR) so tests can run the real tools.
#
# Debian stable ships an older Prometheus and no vmagent, so the .deb files come from a newer
# Debian suite: a private apt configuration (sources list, package lists, cache and lock all under
# the cache folder) points at the mirror this machine already uses, read from its own apt sources
# at run time. The packages are fetched with `apt-get download` and unpacked with `dpkg -x`:
# nothing is installed system-wide and no service is started. Works as root and as a normal user.
#
# Environment:
#   TOOLS_DIR          cache folder (default: <project>/.cache/tools)
#   TOOLS_SUITES       Debian suites to look in, highest version wins (default: "testing unstable")
#   TOOLS_APT_MIRROR   mirror URI to use instead of the one found in the machine's apt sources
#   TOOLS_FORCE=1      provision again even when the cache is complete
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${TOOLS_DIR:-$ROOT/.cache/tools}"
SUITES="${TOOLS_SUITES:-testing unstable}"
BIN="$TOOLS_DIR/bin"
LIB="$TOOLS_DIR/lib"
VERSIONS="$TOOLS_DIR/versions.txt"
TOOLS=(prometheus promtool vmagent)
# Debian package that ships each tool.
declare -A PACKAGE=([prometheus]=prometheus [promtool]=promtool [vmagent]=victoria-metrics)

die() {
  # apt's own error lines say what went wrong (unreachable mirror, bad signature, no package).
  if [[ -s "${LOG:-}" ]]; then grep -E '^(E|W):' "$LOG" | tail -n 5 >&2 || true; fi
  echo "provision-tools: ERROR: $*" >&2
  exit 1
}

# Prints "<tool> <version>" for every tool, or fails when one is missing or not runnable.
# Prometheus and promtool report their own version; Debian's vmagent is built without one, so its
# version is the package version recorded at download time.
report_versions() {
  local tool line
  for tool in "${TOOLS[@]}"; do
    [[ -x "$BIN/$tool" ]] || return 1
  done
  [[ -f "$VERSIONS" ]] || return 1
  local -x LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local out=""
  for tool in prometheus promtool; do
    line="$("$BIN/$tool" --version 2>/dev/null | head -n1)" || return 1
    [[ "$line" =~ version\ ([0-9]+)\.([0-9]+\.[0-9]+) ]] || return 1
    [[ "${BASH_REMATCH[1]}" -ge 3 ]] || return 1
    out+="$tool ${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"$'\n'
  done
  # LD_BIND_NOW makes a missing shared-library symbol fail here rather than in a test.
  LD_BIND_NOW=1 "$BIN/vmagent" -version >/dev/null 2>&1 || return 1
  line="$(awk '$1 == "vmagent" { print $2 }' "$VERSIONS")"
  [[ -n "$line" ]] || return 1
  out+="vmagent $line (package)"
  printf '%s\n' "$out"
}

if [[ "${TOOLS_FORCE:-0}" != 1 ]] && report_versions; then
  exit 0
fi

for cmd in apt-get dpkg dpkg-deb ldd flock; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found: this script needs a Debian-based machine"
done

# One provisioning at a time per cache; a run that waited finds the work done.
mkdir -p "$TOOLS_DIR"
exec 9>"$TOOLS_DIR/.lock"
flock -w 600 9 || die "another provisioning holds $TOOLS_DIR/.lock"
if [[ "${TOOLS_FORCE:-0}" != 1 ]] && report_versions 2>/dev/null; then
  exit 0
fi

# The mirror's URI, read from the machine's own apt sources: the stanza (deb822) or line (classic
# format) that carries the release's own suite, not -security or -updates.
find_mirror() {
  local codename=""
  # shellcheck disable=SC1091
  codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
  local files=()
  shopt -s nullglob
  files=(/etc/apt/sources.list.d/*.sources)
  local uri=""
  if ((${#files[@]})); then
    uri="$(awk -v want="$codename" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
          n = split(suites, s, " ")
          for (i = 1; i <= n; i++) if (s[i] == want || want == "") { split(uris, u, " "); print u[1]; exit }
          if (fallback == "") { split(uris, u, " "); if (u[1] !~ /security/) fallback = u[1] }
        }
        types = ""; uris = ""; suites = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0; else if (key == "uris") uris = $0
        else if (key == "suites") suites = $0; else if (key == "enabled") enabled = tolower($0) }
      END { flush(); if (fallback != "") print fallback }
    ' "${files[@]}" | head -n1)"
  fi
  if [[ -z "$uri" ]]; then
    files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
    if ((${#files[@]})); then
      uri="$(awk -v want="$codename" '
        $1 != "deb" { next }
        { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
          if ($(i + 1) == want || want == "") { print $i; exit }
          if (fallback == "" && $i !~ /security/) fallback = $i }
        END { if (fallback != "") print fallback }
      ' "${files[@]}" 2>/dev/null | head -n1)"
    fi
  fi
  shopt -u nullglob
  printf '%s' "$uri"
}

MIRROR="${TOOLS_APT_MIRROR:-$(find_mirror)}"
[[ -n "$MIRROR" ]] || die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (set TOOLS_APT_MIRROR)"

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -r "$KEYRING" ]] || die "$KEYRING is missing (package debian-archive-keyring)"

APT_DIR="$TOOLS_DIR/apt"
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/empty.d" "$BIN" "$LIB"
LOG="$TOOLS_DIR/provision.log"
: >"$LOG"
for suite in $SUITES; do
  echo "deb [signed-by=$KEYRING] $MIRROR $suite main"
done >"$APT_DIR/sources.list"

APT_OPTS=(
  -o "Dir::Etc::sourcelist=$APT_DIR/sources.list"
  -o "Dir::Etc::sourceparts=$APT_DIR/empty.d"
  -o "Dir::State::Lists=$APT_DIR/lists"
  -o "Dir::Cache=$APT_DIR/cache"
  -o "Dir::Etc::preferences=/dev/null"
  -o "Dir::Etc::preferencesparts=$APT_DIR/empty.d"
  -o "APT::Get::List-Cleanup=false"
)
if [[ "$(id -u)" != 0 ]]; then
  # A normal user cannot take the system's locks or switch to the _apt sandbox user.
  APT_OPTS+=(-o "Debug::NoLocking=true" -o "APT::Sandbox::User=$(id -un)")
else
  # The download lands in a folder the _apt user may not be able to write to.
  APT_OPTS+=(-o "APT::Sandbox::User=root")
fi

echo "provision-tools: fetching package lists for suites: $SUITES" >&2
apt-get "${APT_OPTS[@]}" -q --error-on=any update >>"$LOG" 2>&1 ||
  die "apt-get update failed for the private sources list (see $LOG)"

# Download each package once, into a scratch folder inside the cache.
WORK="$TOOLS_DIR/work"
rm -rf "$WORK"
mkdir -p "$WORK/debs" "$WORK/root"
pkgs=()
for tool in "${TOOLS[@]}"; do
  pkg="${PACKAGE[$tool]}"
  [[ " ${pkgs[*]-} " == *" $pkg "* ]] || pkgs+=("$pkg")
done
echo "provision-tools: downloading ${pkgs[*]}" >&2
(cd "$WORK/debs" && apt-get "${APT_OPTS[@]}" -q download "${pkgs[@]}") >>"$LOG" 2>&1 ||
  die "apt-get download ${pkgs[*]} failed (see $LOG); are they in suites '$SUITES'?"

: >"$VERSIONS.new"
for deb in "$WORK"/debs/*.deb; do
  dpkg -x "$deb" "$WORK/root"
  echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" >>"$WORK/packages.txt"
done
for tool in "${TOOLS[@]}"; do
  src="$WORK/root/usr/bin/$tool"
  [[ -x "$src" ]] || die "package ${PACKAGE[$tool]} has no usr/bin/$tool"
  mv -f "$src" "$BIN/$tool.new" && mv -f "$BIN/$tool.new" "$BIN/$tool"
  ver="$(awk -v p="${PACKAGE[$tool]}" '$1 == p { print $2 }' "$WORK/packages.txt")"
  echo "$tool $ver" >>"$VERSIONS.new"
done
mv -f "$VERSIONS.new" "$VERSIONS"

# Shared libraries the binaries need but this machine lacks come from the same suites, into lib/.
missing_libs() {
  local tool
  for tool in "${TOOLS[@]}"; do
    LD_LIBRARY_PATH="$LIB" ldd "$BIN/$tool" 2>/dev/null | awk '/not found/ { print $1 }'
  done | sort -u
}
libs="$(missing_libs)"
if [[ -n "$libs" ]]; then
  echo "provision-tools: fetching missing libraries: $libs" >&2
  for lib in $libs; do
    # Debian names library packages after their soname: libzstd.so.1 -> libzstd1.
    pkg="$(sed -E 's/\.so\.([0-9]+)$/\1/; s/\.so$//' <<<"$lib" | tr '[:upper:]_' '[:lower:]-')"
    (cd "$WORK/debs" && apt-get "${APT_OPTS[@]}" -q download "$pkg") >>"$LOG" 2>&1 ||
      die "$lib is missing and package $pkg could not be downloaded (see $LOG)"
    dpkg -x "$WORK"/debs/"${pkg}"_*.deb "$WORK/libroot"
    find "$WORK/libroot" -name "$lib*" -exec cp -a {} "$LIB/" \;
  done
  libs="$(missing_libs)"
  [[ -z "$libs" ]] || die "still missing shared libraries: $libs"
fi

rm -rf "$WORK"
prom="$("$BIN/prometheus" --version 2>&1 | head -n1 || true)"
[[ "$prom" =~ version\ [3-9]\. ]] ||
  die "need Prometheus 3.x but suites '$SUITES' gave: ${prom:-a binary that does not run} (set TOOLS_SUITES)"
report_versions || die "the tools were unpacked but do not run as expected (see $LOG)"
