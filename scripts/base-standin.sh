#!/usr/bin/env bash
# Build a local stand-in for the serving image's base and tag it with the exact name the Dockerfile's FROM gives
# (e.g. python:3.12-slim-bookworm), for machines that cannot pull it. The Dockerfile then builds unchanged: without
# --pull, BuildKit uses an image already in the local store. Laid out like the official image: Debian bookworm
# (debootstrap) with CA certificates, CPython under /usr/local, `python3` and `python` on PATH.
#
# The interpreter is copied from an existing build of the same minor version: $MLCI_STANDIN_PYTHON (its prefix,
# e.g. a pyenv version folder), or else the newest pyenv build of it. It must have been built on Debian bookworm
# (or older) so its shared libraries resolve in the rootfs; the script checks that before tagging.
#
# Usage: scripts/base-standin.sh [--force]   (--force replaces an image of that name already present)
# Env: MLCI_DOCKER (docker client), MLCI_STANDIN_PYTHON (interpreter prefix), TMPDIR (work folder).
# Needs debootstrap, binutils (strip) and root or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

docker="${MLCI_DOCKER:-docker}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo

base="$(awk 'toupper($1) == "FROM" && $2 !~ /^-/ { print $2; exit }' Dockerfile)"
version="$(sed -nE 's/^python:([0-9]+\.[0-9]+)[.-].*$/\1/p' <<<"$base")"
if [ -z "$version" ]; then
  echo "base-standin: the Dockerfile's first FROM ($base) is not a python:<major.minor>-... image" >&2
  exit 2
fi
if [ "${1:-}" != "--force" ] && "$docker" image inspect "$base" >/dev/null 2>&1; then
  echo "base-standin: $base is already in the local image store (--force replaces it)"
  exit 0
fi

prefix="${MLCI_STANDIN_PYTHON:-}"
if [ -z "$prefix" ]; then
  prefix="$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -mindepth 1 -maxdepth 1 -name "$version.*" 2>/dev/null | sort -V | tail -n 1)"
fi
if [ -z "$prefix" ] || [ ! -x "$prefix/bin/python$version" ]; then
  echo "base-standin: no Python $version build found; set MLCI_STANDIN_PYTHON to its prefix (pyenv: ~/.pyenv/versions/$version.N)" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/mlci-standin.XXXXXX")"
rootfs="$work/rootfs"
trap '$sudo rm -rf "$work"' EXIT

# The libraries CPython's extension modules link (readline, sqlite3, ssl, ffi, ...), as the official image has.
$sudo debootstrap --variant=minbase \
  --include=ca-certificates,netbase,tzdata,libbz2-1.0,libffi8,liblzma5,libncursesw6,libnsl2,libreadline8,libsqlite3-0,libssl3,libtirpc3,libuuid1,zlib1g \
  bookworm "$rootfs" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }

# What the official image leaves out: tests, IDLE, Tk, the static library, bytecode, and the build host's
# site-packages (pip comes from ensurepip, as `python3 -m venv` installs it).
$sudo cp -a "$prefix/." "$rootfs/usr/local/"
$sudo rm -rf "$rootfs/usr/local/lib/python$version/site-packages" "$rootfs/usr/local/share"
$sudo mkdir -p "$rootfs/usr/local/lib/python$version/site-packages"
$sudo find "$rootfs/usr/local" -depth \( \( -type d \( -name test -o -name tests -o -name idle_test -o -name idlelib \
  -o -name tkinter -o -name turtledemo -o -name __pycache__ \) \) -o \( -type f \( -name '*.pyc' -o -name 'libpython*.a' \
  -o -name '_tkinter*.so' \) \) \) -exec rm -rf {} +
$sudo rm -f "$rootfs"/usr/local/bin/{idle*,pip*,2to3*,pydoc*}
# The official image links with --strip-all; a stand-in with symbol tables would be ~40 MB heavier than the base.
$sudo find "$rootfs/usr/local" -type f \( -name '*.so' -o -name '*.so.*' -o -name "python$version" \) \
  -exec strip --strip-unneeded {} +
$sudo ln -sf "python$version" "$rootfs/usr/local/bin/python3"
$sudo ln -sf "python$version" "$rootfs/usr/local/bin/python"
$sudo chroot "$rootfs" /sbin/ldconfig

# Relocated and complete: every extension module loads and TLS finds the CA certificates.
$sudo chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin python3 -c "
import glob, importlib, os, ssl, sys
assert sys.prefix == '/usr/local', sys.prefix
for path in glob.glob(f'{sys.prefix}/lib/python{sys.version_info[0]}.{sys.version_info[1]}/lib-dynload/*.so'):
    importlib.import_module(os.path.basename(path).split('.')[0])
assert ssl.create_default_context().cert_store_stats()['x509_ca'] > 0
import ensurepip, venv
" || { echo "base-standin: $prefix does not run relocated in a bookworm rootfs" >&2; exit 1; }

$sudo rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
  "$rootfs"/usr/share/locale/*
$sudo tar -C "$rootfs" -c . | "$docker" import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "ENV PYTHON_VERSION=$("$prefix/bin/python$version" -c 'import platform; print(platform.python_version())')" \
  --change 'LABEL io.mlci.base-standin=true' \
  --change 'CMD ["python3"]' \
  - "$base" >/dev/null
echo "base-standin: $base is a local stand-in (Python $version from $(basename "$prefix")); \`docker pull $base\` replaces it"
