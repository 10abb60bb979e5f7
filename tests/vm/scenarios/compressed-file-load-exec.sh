# load-exec with a zstd-compressed kernel through kexec_file_load (-s): the kernel refuses the
# file (ENOEXEC), so we hand it the decompressed kernel in a sealed memfd.
SYSCALL=-s
COMPRESSED_KERNEL=/boot/vmlinuz.zst
. /scenarios/compressed-load-exec.sh
