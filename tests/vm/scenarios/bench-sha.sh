# Which SHA-256 path of the loader is fastest under TCG: OpenSSL libcrypto's default dispatch
# against its AVX, SSSE3 and plain C paths. OPENSSL_ia32cap masks CPUID bits: the first word is
# CPUID.1 ECX:EDX (bit 60 AVX, bit 41 SSSE3), the word after ':' CPUID.7 EBX (bit 29 SHA-NI,
# which TCG lacks anyway; bit 5 AVX2, which the AVX2+BMI path needs). On a host with SHA-NI the
# same masks give about 1.7 GB/s (default), 0.40 (AVX2), 0.37 (AVX), 0.39 (SSSE3), 0.29 (C).
. /scenarios/lib.sh
INITRD=${BENCH_INITRD:-/boot/big-initrd}
for i in 1 2 3; do
    split_time default /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
    OPENSSL_ia32cap=":~0x20000020" split_time avx /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
    OPENSSL_ia32cap="~0x1000000000000000:~0x20000020" split_time ssse3 /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
    OPENSSL_ia32cap="~0x1000020000000000:~0x20000020" split_time scalar /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
done
