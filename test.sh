#!/usr/bin/env bash
# Runs the whole EdgeStream test suite on a fresh Debian / Raspberry Pi OS machine with the .NET SDK.
# Installs the real components the tests drive when missing: Mosquitto and its clients, nats-server, headless
# Chromium (status page), systemd-analyze and shellcheck (deploy/), promtool (/metrics lint; Debian's prometheus),
# python3 (Eclipse Paho MQTT interoperability tests), lintian and qemu-user-static with Debian's arm64 libraries
# (the Debian packages of deploy/package, and the arm64 build run under emulation), clang and zlib1g-dev (the
# NativeAOT build of edgestream).
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/bin/python3 ] || need+=(python3)
command -v lintian >/dev/null 2>&1 || need+=(lintian)
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
# The arm64 libraries the self-contained arm64 build loads under qemu-aarch64-static -L / (multiarch); on an
# arm64 machine they are the native ones.
arm64_libs=(libc6 libstdc++6 libgcc-s1 zlib1g libssl3)
if [ "$(dpkg --print-architecture)" != arm64 ]; then
  # build-deb.sh strips Confluent's unstripped arm64 librdkafka.so with the cross binutils' strip.
  command -v aarch64-linux-gnu-strip >/dev/null 2>&1 || need+=(binutils-aarch64-linux-gnu)
  for p in "${arm64_libs[@]}"; do
    dpkg-query -W -f='${Status}' "$p:arm64" 2>/dev/null | grep -q "install ok installed" || need+=("$p:arm64")
  done
fi
command -v clang >/dev/null 2>&1 || need+=(clang)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  if printf '%s\n' "${need[@]}" | grep -q ':arm64$' && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo_cmd dpkg --add-architecture arm64
  fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts the system broker on 1883 on install; the tests start their own on free loopback ports.
  $sudo_cmd systemctl disable --now mosquitto >/dev/null 2>&1 || true
  # Same for the Prometheus server: only its promtool is wanted.
  $sudo_cmd systemctl disable --now prometheus >/dev/null 2>&1 || true
fi

# Arguments go to the test runner (xunit v3 on Microsoft.Testing.Platform), e.g. --filter-class '*PowerCutTests'.
# --fast is the quick loop: every test class not marked [Trait("Category", "Slow")] (see CONTRIBUTING.md); exit code 8
# (a project with no test left after the filter) is then not a failure.
args=()
for a in "$@"; do
  if [ "$a" = "--fast" ]; then
    args+=(--filter-not-trait Category=Slow --ignore-exit-code 8)
  else
    args+=("$a")
  fi
done

# Locked mode: restore exactly what the committed packages.lock.json files say, or fail (CONTRIBUTING.md: updating them).
dotnet restore EdgeStream.sln --locked-mode
# The end-to-end tests run the shipped build (NativeAOT, trimming/AOT warnings as errors), so a trimming break fails
# them. It is published from a copy of the sources, cached by a hash of them (tests/EdgeStream.TestKit/ShippedBuild.cs),
# and takes minutes: start it now, beside the build, and the tests that need it wait for it. Or set
# EDGESTREAM_SHIPPED_BUILD to an edgestream executable already published.
# Only for a whole run: a filtered one may need no shipped build at all.
prepublish_pid=""
if [ -z "${EDGESTREAM_SHIPPED_BUILD:-}" ] && [ ${#args[@]} -eq 0 ]; then
  dotnet build tests/EdgeStream.TestKit.Prepublish -c Release --nologo -v q --no-restore
  prepublish_log=$(mktemp)
  dotnet tests/EdgeStream.TestKit.Prepublish/bin/Release/net10.0/EdgeStream.TestKit.Prepublish.dll linux-"$(dpkg --print-architecture | sed 's/amd64/x64/')" linux-arm64 >"$prepublish_log" 2>&1 &
  prepublish_pid=$!
fi
dotnet build EdgeStream.sln -c Release --nologo -v q --no-restore
status=0
dotnet test --solution EdgeStream.sln -c Release --no-build "${args[@]}" || status=$?
if [ -n "$prepublish_pid" ]; then
  wait "$prepublish_pid" || true
  cat "$prepublish_log"
  rm -f "$prepublish_log"
fi
exit "$status"
