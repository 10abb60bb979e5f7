#!/bin/sh
# Secure Boot material for the `firmware ovmf-secboot` scenarios, made fresh at test time into
# $VM_OUT/vm/secboot/ (default work/vm/secboot/); run after setup.sh and mkinitramfs.sh:
#   db.key db.crt            our own db key (also PK and KEK: one self-signed test key)
#   VARS.fd                  OVMF_VARS_4M.fd with PK, KEK and db = only our key, Secure Boot on
#                            (virt-fw-vars from PyPI's virt-firmware)
#   vmlinuz-db               Debian's kernel with its signature replaced by one from db.key
#                            (sbattach --remove, sbsign); the first kernel boots this one
#   vmlinuz-foreign          the same kernel signed by a second throwaway key that is in no keyring
#   vmlinuz-unsigned         the same kernel with no signature
#   ../first-secboot.cpio    first.cpio followed by an archive with /boot/vmlinuz-{db,foreign,unsigned}
# Installs sbsigntool (apt) and virt-firmware (pip) when missing.
# Environment: VM_OUT, KERNEL_SUITE (sign that suite's kernel), as for mkinitramfs.sh.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE="$ROOT/work/vm-cache"
OUT="${VM_OUT:-$ROOT/work${KERNEL_SUITE:+/$KERNEL_SUITE}}/vm"
S="$OUT/secboot"
CPIO="python3 $ROOT/scripts/vm/cpio.py"

die() { echo "mksecboot: ERROR: $*" >&2; exit 1; }
log() { echo "mksecboot: $*"; }

[ -s "$CACHE/ovmf/OVMF_VARS_4M.fd" ] || die "OVMF missing: run scripts/vm/setup.sh"
[ -s "$OUT/first.cpio" ] || die "$OUT/first.cpio missing: run scripts/vm/mkinitramfs.sh"
if ! command -v sbsign >/dev/null || ! command -v sbattach >/dev/null; then
    [ "$(id -u)" = 0 ] || die "need root to install sbsigntool"
    apt-get install -y -qq sbsigntool >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq sbsigntool; } \
        || die "apt-get install sbsigntool failed"
fi
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
if ! command -v virt-fw-vars >/dev/null; then
    python3 -m pip install -q --root-user-action=ignore virt-firmware || die "pip install virt-firmware failed"
fi

rm -rf "$S"; mkdir -p "$S"
cert() {  # cert NAME CN: a self-signed RSA code-signing certificate
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=$2" \
        -keyout "$S/$1.key" -out "$S/$1.crt" 2>/dev/null || die "openssl req failed"
}
cert db "swift-kexec test db key"
cert foreign "swift-kexec foreign test key"
# PK, KEK and db all hold our key (owner GUID: any fixed one)
owner=6a3f4e2c-8d1b-4c5a-9e7f-0b1c2d3e4f50
virt-fw-vars --input "$CACHE/ovmf/OVMF_VARS_4M.fd" --output "$S/VARS.fd" \
    --set-pk "$owner" "$S/db.crt" --add-kek "$owner" "$S/db.crt" --add-db "$owner" "$S/db.crt" \
    --sb >/dev/null 2>&1 || die "virt-fw-vars failed"

cp "$CACHE${KERNEL_SUITE:+/suite-$KERNEL_SUITE}/vmlinuz" "$S/vmlinuz-unsigned"
sbattach --remove "$S/vmlinuz-unsigned" >/dev/null || die "sbattach --remove failed"   # in place
for k in db foreign; do
    sbsign --key "$S/$k.key" --cert "$S/$k.crt" --output "$S/vmlinuz-$k" "$S/vmlinuz-unsigned" >/dev/null 2>&1 \
        || die "sbsign with $k.key failed"
done
log "keys, VARS.fd (Secure Boot on, db = $(openssl x509 -noout -subject -in "$S/db.crt"))"

B="$S/extra"
mkdir -p "$B/boot"
cp "$S/vmlinuz-db" "$S/vmlinuz-foreign" "$S/vmlinuz-unsigned" "$B/boot/"
$CPIO tree "$S/extra.cpio" "$B"
cat "$OUT/first.cpio" "$S/extra.cpio" > "$OUT/first-secboot.cpio.new"
mv "$OUT/first-secboot.cpio.new" "$OUT/first-secboot.cpio"
rm -rf "$B" "$S/extra.cpio"
log "first-secboot.cpio: $(wc -c < "$OUT/first-secboot.cpio") bytes"
