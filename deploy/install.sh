#!/usr/bin/env bash
# Installs EdgeStream as a systemd service on Raspberry Pi OS / Debian (arm64 or x64).
#
#   sudo deploy/install.sh                      build, install to /, create the user, enable and start
#   sudo deploy/install.sh --from <dir>         install an existing publish output (the NativeAOT build)
#   deploy/install.sh --prefix /tmp/root ...    install into a staging root (no user, no systemctl)
#   sudo deploy/install.sh --uninstall [--purge]
#
# Layout: <prefix>/opt/edgestream (program), <prefix>/etc/edgestream/appsettings.json (config, never
# overwritten), <prefix>/etc/systemd/system/edgestream.service, <prefix>/var/lib/edgestream (data).
# Running it again upgrades the program and the unit in place and keeps config and data.
set -euo pipefail

readonly SERVICE=edgestream
readonly SERVICE_USER=edgestream
readonly DEVICE_GROUPS=(gpio i2c spi)

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "$script_dir/.." && pwd)"

prefix=/
from=""
rid=""
create_user=0
uninstall=0
purge=0

usage() {
  cat <<'USAGE'
Usage: install.sh [options]
  --from <dir>       install this publish output (dotnet publish src/EdgeStream.Host -c Release -r <rid>; must
                     contain the 'edgestream' executable) instead of building
  --rid <rid>        runtime to build for (linux-arm64 or linux-x64); default: this machine's
  --prefix <dir>     install below <dir> instead of /; skips user creation and systemctl
  --create-user      with --prefix: still create the user (in <dir>/etc/passwd, via useradd --prefix)
  --uninstall        stop and remove the service and program; config and data are kept
  --purge            with --uninstall: also remove config, data and the user
  -h, --help         this text
USAGE
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

log() {
  echo "install.sh: $*"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --from) [ $# -ge 2 ] || die "--from needs a directory"; from="$2"; shift 2 ;;
    --rid) [ $# -ge 2 ] || die "--rid needs a runtime identifier"; rid="$2"; shift 2 ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --create-user) create_user=1; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[ "$purge" -eq 0 ] || [ "$uninstall" -eq 1 ] || die "--purge only goes with --uninstall"

# root is the prefix without a trailing slash, so "$root/opt" is "/opt" for the real system.
mkdir -p "$prefix"
root="$(cd "$prefix" && pwd -P)"
if [ "$root" = "/" ]; then
  root=""
  live=1
else
  live=0
fi

manage_user=0
if [ "$live" -eq 1 ] || [ "$create_user" -eq 1 ]; then
  manage_user=1
fi
if { [ "$live" -eq 1 ] || [ "$manage_user" -eq 1 ]; } && [ "$(id -u)" -ne 0 ]; then
  die "installing into / (or creating the user) needs root; use sudo, or --prefix <dir> for a staging root"
fi

opt_dir="$root/opt/edgestream"
etc_dir="$root/etc/edgestream"
unit_path="$root/etc/systemd/system/$SERVICE.service"
data_dir="$root/var/lib/edgestream"

# useradd/usermod/getent against the staging root's own /etc when installing below a prefix.
user_tool_args=()
if [ "$live" -eq 0 ]; then
  user_tool_args=(--prefix "$root")
fi

user_exists() {
  if [ "$live" -eq 1 ]; then
    getent passwd "$SERVICE_USER" >/dev/null 2>&1
  else
    [ -f "$root/etc/passwd" ] && grep -q "^$SERVICE_USER:" "$root/etc/passwd"
  fi
}

group_exists() {
  if [ "$live" -eq 1 ]; then
    getent group "$1" >/dev/null 2>&1
  else
    [ -f "$root/etc/group" ] && grep -q "^$1:" "$root/etc/group"
  fi
}

# Numeric ids, so that a user created in a staging root's /etc/passwd need not exist on this machine.
service_uid() {
  if [ "$live" -eq 1 ]; then
    id -u "$SERVICE_USER"
  else
    awk -F: -v u="$SERVICE_USER" '$1 == u { print $3 }' "$root/etc/passwd"
  fi
}

service_gid() {
  if [ "$live" -eq 1 ]; then
    id -g "$SERVICE_USER"
  else
    awk -F: -v u="$SERVICE_USER" '$1 == u { print $4 }' "$root/etc/passwd"
  fi
}

systemd_running() {
  [ "$live" -eq 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

detect_rid() {
  local arch
  if command -v dpkg >/dev/null 2>&1; then
    arch="$(dpkg --print-architecture)"
  else
    arch="$(uname -m)"
  fi
  case "$arch" in
    arm64 | aarch64) echo linux-arm64 ;;
    amd64 | x86_64) echo linux-x64 ;;
    *) die "unsupported architecture '$arch' (EdgeStream ships for arm64 and x64; a 32-bit Pi OS needs the 64-bit image)" ;;
  esac
}

do_uninstall() {
  if systemd_running; then
    systemctl disable --now "$SERVICE.service" >/dev/null 2>&1 || true
  fi
  rm -f "$unit_path"
  rm -rf "$opt_dir"
  if systemd_running; then
    systemctl daemon-reload
    systemctl reset-failed "$SERVICE.service" >/dev/null 2>&1 || true
  fi
  if [ "$purge" -eq 1 ]; then
    rm -rf "$etc_dir" "$data_dir"
    if [ "$manage_user" -eq 1 ] && user_exists; then
      userdel "${user_tool_args[@]}" "$SERVICE_USER"
    fi
    log "removed EdgeStream, its configuration and data from ${root:-/}"
  else
    log "removed EdgeStream from ${root:-/}; kept $etc_dir and $data_dir (use --purge to remove them)"
  fi
}

# Publishes the shipped build (NativeAOT; src/EdgeStream.Host/EdgeStream.Host.csproj says so) into $1.
publish() {
  command -v dotnet >/dev/null 2>&1 || die "dotnet not found: install the .NET 10 SDK, or build elsewhere and pass --from <dir>"
  command -v clang >/dev/null 2>&1 || die "clang not found: the NativeAOT build links with it (apt-get install clang zlib1g-dev)"
  log "publishing src/EdgeStream.Host for $rid"
  dotnet publish "$repo_dir/src/EdgeStream.Host" -c Release -r "$rid" -o "$1" --nologo
}

ensure_user() {
  if ! user_exists; then
    useradd "${user_tool_args[@]}" --system --user-group --home-dir /var/lib/edgestream --no-create-home \
      --shell /usr/sbin/nologin --comment "EdgeStream service" "$SERVICE_USER"
    log "created system user $SERVICE_USER"
  fi
  local g
  for g in "${DEVICE_GROUPS[@]}"; do
    if group_exists "$g"; then
      usermod "${user_tool_args[@]}" --append --groups "$g" "$SERVICE_USER"
    fi
  done
}

# Copies the unit, keeping in SupplementaryGroups only the groups this machine has.
install_unit() {
  local present=() g tmp
  for g in "${DEVICE_GROUPS[@]}"; do
    if group_exists "$g"; then
      present+=("$g")
    fi
  done
  mkdir -p "$(dirname "$unit_path")"
  tmp="$(mktemp "$unit_path.XXXXXX")"
  if [ ${#present[@]} -gt 0 ]; then
    sed "s/^SupplementaryGroups=.*/SupplementaryGroups=${present[*]}/" "$script_dir/systemd/$SERVICE.service" >"$tmp"
  else
    sed '/^SupplementaryGroups=/d' "$script_dir/systemd/$SERVICE.service" >"$tmp"
  fi
  chmod 0644 "$tmp"
  mv -f "$tmp" "$unit_path"
}

# Replaces the program directory as a whole so files of an older version do not linger.
install_program() {
  local source="$1" staged old
  if [ ! -f "$source/edgestream" ] || [ ! -x "$source/edgestream" ]; then
    die "$source has no executable 'edgestream' (expected the output of: dotnet publish src/EdgeStream.Host -c Release -r <rid>)"
  fi
  mkdir -p "$(dirname "$opt_dir")"
  staged="$opt_dir.new"
  old="$opt_dir.old"
  rm -rf "$staged" "$old"
  cp -R "$source" "$staged"
  chmod -R u=rwX,go=rX "$staged"
  if [ -d "$opt_dir" ]; then
    mv "$opt_dir" "$old"
  fi
  mv "$staged" "$opt_dir"
  rm -rf "$old"
}

install_config() {
  mkdir -p "$etc_dir"
  chmod 0755 "$etc_dir"
  local config="$etc_dir/appsettings.json"
  if [ -e "$config" ]; then
    log "kept existing $config"
  else
    install -m 0640 "$script_dir/appsettings.json" "$config"
    log "wrote $config"
  fi
  if [ "$manage_user" -eq 1 ]; then
    # Readable by the service (it may hold sink credentials), writable only by root.
    chgrp "$(service_gid)" "$config"
  fi
}

install_data_dir() {
  mkdir -p "$data_dir"
  chmod 0750 "$data_dir"
  if [ "$manage_user" -eq 1 ]; then
    chown "$(service_uid):$(service_gid)" "$data_dir"
  fi
}

do_install() {
  local build_dir cleanup=""
  if [ -n "$from" ]; then
    [ -d "$from" ] || die "--from $from is not a directory"
    build_dir="$(cd "$from" && pwd)"
  else
    [ -n "$rid" ] || rid="$(detect_rid)"
    build_dir="$(mktemp -d)"
    cleanup="$build_dir"
    # shellcheck disable=SC2064 # expand now: the trap must remove this very directory
    trap "rm -rf '$cleanup'" EXIT
    publish "$build_dir"
  fi

  if [ "$manage_user" -eq 1 ]; then
    ensure_user
  fi
  install_program "$build_dir"
  install_config
  install_unit
  install_data_dir
  log "installed EdgeStream into ${root:-/}"

  if systemd_running; then
    systemctl daemon-reload
    if systemctl is-active --quiet "$SERVICE.service"; then
      # A reinstall brings a new program: restart so it runs.
      systemctl enable "$SERVICE.service" >/dev/null
      systemctl restart "$SERVICE.service"
    else
      systemctl enable --now "$SERVICE.service"
    fi
    log "service $SERVICE is enabled and started (journalctl -u $SERVICE -f)"
  elif [ "$live" -eq 1 ]; then
    log "systemd is not running here; start it with: systemctl enable --now $SERVICE"
  fi
}

if [ "$uninstall" -eq 1 ]; then
  do_uninstall
else
  do_install
fi
