# Which SHA-256 path of the loader is fastest under TCG: BoringSSL's default dispatch
# (AVX/SSSE3 on -cpu max) against its scalar path (SSSE3 and AVX masked off).
. /scenarios/lib.sh
INITRD=${BENCH_INITRD:-/boot/big-initrd}
for i in 1 2 3; do
    split_time default /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
    OPENSSL_ia32cap="~0x1000020000000000" split_time scalar /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
    OPENSSL_ia32cap="~0x1000000000000000" split_time ssse3 /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
done
