#!/usr/bin/env bash
# Builds EdgeStream's Debian packages (arm64 for Raspberry Pi OS 64-bit, amd64 for Debian/Ubuntu PCs and gateways).
#
#   deploy/package/build-deb.sh                                  both architectures into deploy/package/out/
#   deploy/package/build-deb.sh --arch arm64 --version 1.2.0     one architecture, an explicit version
#   deploy/package/build-deb.sh --arch arm64 --from <dir>        package an existing linux-arm64 publish output
#
# The program is the plain `dotnet publish src/EdgeStream.Host -c Release -r <rid> -o <dir>`: EdgeStream.Host.csproj
# decides what the shipped build is (self-contained, trimmed/AOT); this script refuses a framework-dependent one,
# since the package must run without a .NET runtime on the machine.
#
# Package layout: /usr/lib/edgestream (program), /usr/bin/edgestream (symlink), /lib/systemd/system/edgestream.service,
# /etc/edgestream/appsettings.json (conffile); the maintainer scripts in deploy/package/debian create the system user
# `edgestream` (groups gpio, i2c, spi) and /var/lib/edgestream.
set -euo pipefail

readonly PACKAGE=edgestream

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "$script_dir/../.." && pwd)"

archs=()
version=""
from=""
out="$script_dir/out"
publish_root=""
compression=xz
config=""

usage() {
  cat <<'USAGE'
Usage: build-deb.sh [options]
  --arch <arm64|amd64>   architecture to build (repeatable); default: arm64 and amd64
  --version <version>    Debian version of the package; default: 0.1.0+git<date>.<commit>
  --from <dir>           package this publish output instead of publishing (needs exactly one --arch)
  --out <dir>            where the .deb files go; default: deploy/package/out
  --publish-dir <dir>    keep the publish outputs in <dir>/<rid> (default: a temporary directory)
  --config <file>        default configuration shipped as /etc/edgestream/appsettings.json; default: deploy/appsettings.json
  --compression <c>      dpkg-deb compression: xz (default), gzip, zstd or none
  -h, --help             this text
USAGE
}

die() {
  echo "build-deb.sh: $*" >&2
  exit 1
}

log() {
  echo "build-deb.sh: $*"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --arch) [ $# -ge 2 ] || die "--arch needs arm64 or amd64"; archs+=("$2"); shift 2 ;;
    --version) [ $# -ge 2 ] || die "--version needs a version"; version="$2"; shift 2 ;;
    --from) [ $# -ge 2 ] || die "--from needs a directory"; from="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out="$2"; shift 2 ;;
    --publish-dir) [ $# -ge 2 ] || die "--publish-dir needs a directory"; publish_root="$2"; shift 2 ;;
    --config) [ $# -ge 2 ] || die "--config needs a file"; config="$2"; shift 2 ;;
    --compression) [ $# -ge 2 ] || die "--compression needs a value"; compression="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[ ${#archs[@]} -gt 0 ] || archs=(arm64 amd64)
[ -n "$config" ] || config="$repo_dir/deploy/appsettings.json"
[ -f "$config" ] || die "--config $config is not a file"
if [ -n "$from" ] && [ ${#archs[@]} -ne 1 ]; then
  die "--from packages one publish output: give exactly one --arch"
fi
for a in "${archs[@]}"; do
  case "$a" in
    arm64 | amd64) ;;
    *) die "unsupported architecture '$a' (arm64 or amd64; 32-bit Raspberry Pi OS needs the 64-bit image)" ;;
  esac
done
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found (Debian package 'dpkg')"
command -v readelf >/dev/null 2>&1 || die "readelf not found (Debian package 'binutils')"

if [ -z "$version" ]; then
  commit="$(git -C "$repo_dir" rev-parse --short=8 HEAD 2>/dev/null || echo unknown)"
  version="0.1.0+git$(date -u +%Y%m%d).$commit"
fi
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "version '$version' is not a native Debian version (digits first; letters, digits, . + ~)"

work="$(mktemp -d)"
# shellcheck disable=SC2064 # expand now: the trap must remove this very directory
trap "rm -rf '$work'" EXIT
[ -n "$publish_root" ] || publish_root="$work/publish"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

rid_of() {
  case "$1" in
    arm64) echo linux-arm64 ;;
    amd64) echo linux-x64 ;;
  esac
}

strip_tool_of() {
  case "$1" in
    arm64) echo aarch64-linux-gnu-strip ;;
    amd64) echo x86_64-linux-gnu-strip ;;
  esac
}

# Shared libraries that still carry a symbol table (Confluent's librdkafka.so) are stripped as Debian policy asks.
# Only *.so: an apphost may carry a single-file bundle after its ELF sections, which strip would cut off.
strip_libraries() {
  local dir="$1" tool="$2" f
  while IFS= read -r f; do
    case "$f" in
      *.so | *.so.*)
        # (grep -q would end the pipe early: readelf's SIGPIPE fails the pipeline under pipefail.)
        if [ "$(readelf -S "$f" | grep -c ' \.symtab ')" -gt 0 ]; then
          command -v "$tool" >/dev/null 2>&1 || die "$tool not found (Debian package binutils-${tool%-strip}) to strip ${f#"$dir"/}"
          "$tool" --strip-unneeded --remove-section=.comment --remove-section=.note "$f"
        fi
        ;;
    esac
  done < <(elf_files "$dir")
}

elf_machine_of() {
  case "$1" in
    arm64) echo AArch64 ;;
    amd64) echo "X86-64" ;;
  esac
}

publish() {
  local rid="$1" dir="$2"
  command -v dotnet >/dev/null 2>&1 || die "dotnet not found: install the .NET 10 SDK, or pass --from <publish dir>"
  log "publishing src/EdgeStream.Host for $rid"
  rm -rf "$dir"
  dotnet publish "$repo_dir/src/EdgeStream.Host" -c Release -r "$rid" -o "$dir" --nologo
}

# A framework-dependent publish has a runtimeconfig naming the shared framework it needs; a self-contained one
# names "includedFrameworks", and a NativeAOT one has no runtimeconfig at all.
check_self_contained() {
  local dir="$1" runtimeconfig="$1/edgestream.runtimeconfig.json"
  [ -x "$dir/edgestream" ] || die "$dir has no executable 'edgestream'"
  if [ -f "$runtimeconfig" ] && ! grep -q '"includedFrameworks"' "$runtimeconfig"; then
    die "$dir is a framework-dependent build (it needs a .NET runtime installed); the package needs a self-contained or NativeAOT publish"
  fi
}

elf_files() {
  local f
  while IFS= read -r -d '' f; do
    if [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; then
      printf '%s\n' "$f"
    fi
  done < <(find "$1" -type f -print0 | sort -z)
}

# Every ELF file must be built for the package's architecture: a wrong-architecture native library (librdkafka,
# libgpiod shims) only fails at run time on the device.
check_elf_machines() {
  local dir="$1" want="$2" f machine
  while IFS= read -r f; do
    machine="$(readelf -h "$f" | awk -F: '/Machine:/ { gsub(/^[ \t]+/, "", $2); print $2 }')"
    case "$machine" in
      *"$want"*) ;;
      *) die "${f#"$dir"/} is built for '$machine', not $want" ;;
    esac
  done < <(elf_files "$dir")
}

# Maps a shared library the program links to the Debian package that provides it. Libraries the program opens
# at run time (dlopen) are not in NEEDED and are listed in runtime_depends.
package_of_soname() {
  case "$1" in
    libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | ld-linux-aarch64.so.1 | ld-linux-x86-64.so.2) echo libc6 ;;
    libgcc_s.so.1) echo libgcc-s1 ;;
    libstdc++.so.6) echo libstdc++6 ;;
    libz.so.1) echo zlib1g ;;
    libssl.so.3 | libcrypto.so.3) echo "libssl3 | libssl3t64" ;;
    *) return 1 ;;
  esac
}

# Debian's Depends for the program: libc6 at the newest glibc symbol version any ELF file needs, plus the package
# of every other NEEDED library. An unknown NEEDED library stops the build: it would be missing on the device.
linked_depends() {
  local dir="$1" f soname pkg glibc
  local -A seen=()
  while IFS= read -r f; do
    while IFS= read -r soname; do
      # Libraries shipped beside the program (libcoreclr.so, librdkafka.so) are found by the loader there.
      if [ -n "$(find "$dir" -name "$soname" -print -quit)" ]; then
        continue
      fi
      pkg="$(package_of_soname "$soname")" || die "${f#"$dir"/} needs $soname, which build-deb.sh has no Debian package for"
      seen["$pkg"]=1
    done < <(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  done < <(elf_files "$dir")
  glibc="$(elf_files "$dir" | while IFS= read -r f; do readelf -V "$f"; done | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)"
  for pkg in "${!seen[@]}"; do
    if [ "$pkg" = libc6 ] && [ -n "$glibc" ]; then
      echo "libc6 (>= $glibc)"
    else
      echo "$pkg"
    fi
  done | sort
}

# Opened at run time, so never in NEEDED: OpenSSL (System.Security.Cryptography, TLS to brokers) and libgpiod
# (System.Device.Gpio's driver on a Raspberry Pi 5; v1 is libgpiod2 on bookworm, v2 is libgpiod3 on trixie).
readonly runtime_depends=("libssl3 | libssl3t64" "libgpiod2 | libgpiod3" "passwd")

build_package() {
  local arch="$1" build="$2" stage control depends installed_size deb
  stage="$work/stage-$arch"
  rm -rf "$stage"
  mkdir -p "$stage/DEBIAN" "$stage/usr/lib/$PACKAGE" "$stage/usr/bin" "$stage/lib/systemd/system" \
    "$stage/etc/$PACKAGE" "$stage/usr/share/doc/$PACKAGE" "$stage/usr/share/man/man1"

  # The program, without debug symbols and without the native files a Debian system cannot load or does not use:
  # Confluent's librdkafka builds for musl (Alpine) and CentOS 8 (OpenSSL 1.1, SASL), beside the glibc one the
  # Kafka client loads first, and the runtime's LTTng trace provider (it needs liblttng-ust; without the file
  # the runtime simply does not emit LTTng events).
  cp -R "$build/." "$stage/usr/lib/$PACKAGE/"
  find "$stage/usr/lib/$PACKAGE" \( -name '*.pdb' -o -name '*.dbg' -o -name 'alpine-librdkafka.so' \
    -o -name 'centos8-librdkafka.so' -o -name 'libcoreclrtraceptprovider.so' \) -delete
  ln -s "../lib/$PACKAGE/edgestream" "$stage/usr/bin/edgestream"

  # The unit install.sh uses, pointed at the package's program directory.
  sed -e "s#/opt/edgestream/edgestream#/usr/lib/$PACKAGE/edgestream#" \
    -e 's#installed by deploy/install.sh#installed by the edgestream Debian package#' \
    "$repo_dir/deploy/systemd/edgestream.service" >"$stage/lib/systemd/system/edgestream.service"
  install -m 0644 "$config" "$stage/etc/$PACKAGE/appsettings.json"

  install -m 0644 "$script_dir/debian/copyright" "$stage/usr/share/doc/$PACKAGE/copyright"
  sed "s/@VERSION@/$version/; s/@DATE@/$(date -uR)/" "$script_dir/debian/changelog" | gzip -9n \
    >"$stage/usr/share/doc/$PACKAGE/changelog.gz"
  gzip -9n <"$script_dir/debian/edgestream.1" >"$stage/usr/share/man/man1/edgestream.1.gz"
  install -D -m 0644 "$script_dir/debian/lintian-overrides" "$stage/usr/share/lintian/overrides/$PACKAGE"

  for s in postinst prerm postrm; do
    install -m 0755 "$script_dir/debian/$s" "$stage/DEBIAN/$s"
  done
  printf '/etc/%s/appsettings.json\n' "$PACKAGE" >"$stage/DEBIAN/conffiles"

  # Files 0644, directories and executables 0755 (publish outputs carry the builder's umask).
  find "$stage" -type d -exec chmod 0755 {} +
  find "$stage/usr" "$stage/etc" "$stage/lib" -type f -exec chmod 0644 {} +
  chmod 0755 "$stage/usr/lib/$PACKAGE/edgestream"
  while IFS= read -r f; do
    case "$(basename "$f")" in
      *.so | *.so.*) ;;
      *) chmod 0755 "$f" ;; # the apphost, createdump
    esac
  done < <(elf_files "$stage/usr/lib/$PACKAGE")

  check_elf_machines "$stage/usr/lib/$PACKAGE" "$(elf_machine_of "$arch")"
  strip_libraries "$stage/usr/lib/$PACKAGE" "$(strip_tool_of "$arch")"
  depends="$( { linked_depends "$stage/usr/lib/$PACKAGE"; printf '%s\n' "${runtime_depends[@]}"; } | sort -u | paste -sd, - | sed 's/,/, /g')"
  installed_size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
  control="$stage/DEBIAN/control"
  sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
    -e "s/@INSTALLED_SIZE@/$installed_size/" "$script_dir/debian/control" >"$control"

  (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's#  \./#  #') \
    >"$stage/DEBIAN/md5sums"
  chmod 0644 "$control" "$stage/DEBIAN/md5sums" "$stage/DEBIAN/conffiles"

  deb="$out/${PACKAGE}_${version}_${arch}.deb"
  dpkg-deb --root-owner-group -Z"$compression" --build "$stage" "$deb" >/dev/null
  log "built $deb (Depends: $depends)"
}

for arch in "${archs[@]}"; do
  rid="$(rid_of "$arch")"
  if [ -n "$from" ]; then
    [ -d "$from" ] || die "--from $from is not a directory"
    build="$(cd "$from" && pwd)"
  else
    build="$publish_root/$rid"
    publish "$rid" "$build"
  fi
  check_self_contained "$build"
  build_package "$arch" "$build"
done
