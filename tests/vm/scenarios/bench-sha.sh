# Which SHA-256 path of the loader is fastest under TCG: BoringSSL's default dispatch
# (AVX/SSSE3 on -cpu max) against its scalar path (SSSE3 and AVX masked off).
. /scenarios/lib.sh
INITRD=${BENCH_INITRD:-/boot/big-initrd}
t() {
    label=$1; shift
    t0=$(now_ns); "$@" > /dev/null; rc=$?; t1=$(now_ns)
    echo "SPLIT $label rc=$rc $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }')"
}
for i in 1 2 3; do
    t default /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
    OPENSSL_ia32cap="~0x1000020000000000" t scalar /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
    OPENSSL_ia32cap="~0x1000000000000000" t ssse3 /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
done
