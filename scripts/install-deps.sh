#!/usr/bin/env bash
# Installs what Vigil needs to build and test: libyara (and the yara CLI for benchmarks), pkg-config,
# and the fixture tool chain (mingw-w64, osslsigncode, openssl, lld). Uses sudo only when not root.
# Set VIGIL_SKIP_INSTALL=1 to skip (for machines that already have everything).
set -euo pipefail
[ "${VIGIL_SKIP_INSTALL:-0}" = 1 ] && exit 0
packages_debian=(libyara-dev yara pkg-config zlib1g-dev libarchive-dev publicsuffix "$@")
# MSI fixtures and their oracle (scripts/fixtures/windows-msi.sh, Tests/VigilMSITests).
packages_debian+=(wixl msitools gcab)
# Disk images (VigilDiskImage): UDIF chunk codecs, HFS+ and APFS readers, mkapfs for the APFS test.
packages_debian+=(libbz2-dev liblzma-dev libfshfs-dev libfsapfs-dev apfsprogs)
if [ "$(uname)" = Darwin ]; then
    command -v brew >/dev/null || { echo "install Homebrew first: https://brew.sh" >&2; exit 2; }
    brew list yara >/dev/null 2>&1 || brew install yara pkg-config
    brew list libarchive >/dev/null 2>&1 || brew install libarchive
    exit 0
fi
missing=()
for p in "${packages_debian[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
