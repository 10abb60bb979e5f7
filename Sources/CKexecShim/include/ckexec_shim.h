// Thin, non-variadic wrappers for system calls Swift cannot call directly
// (syscall(2) is variadic) and argv capture for runs without /proc.
#ifndef CKEXEC_SHIM_H
#define CKEXEC_SHIM_H

#include <stddef.h>
#include <stdint.h>

// Mirrors struct kexec_segment from <linux/kexec.h> (32 bytes on x86_64).
typedef struct {
    const void *buf;
    size_t bufsz;
    uint64_t mem;
    size_t memsz;
} ckexec_segment;

// Returns 0 or -errno.
long ckexec_kexec_load(uint64_t entry, unsigned long nr_segments,
                       const ckexec_segment *segments, unsigned long flags);
// Returns 0 or -errno. initrd_fd is -1 with KEXEC_FILE_NO_INITRAMFS; cmdline includes its NUL.
long ckexec_kexec_file_load(int kernel_fd, int initrd_fd, unsigned long cmdline_len,
                            const char *cmdline, unsigned long flags);
// Returns 0 or -errno; on success does not return.
long ckexec_reboot_kexec(void);
// Returns 0 or -errno.
long ckexec_getrandom(void *buf, size_t len, unsigned int flags);

// argv as seen by the ELF constructor (works even when /proc is not mounted).
int ckexec_saved_argc(void);
const char *ckexec_saved_argv(int index);

// A mapped file that shrinks under us faults with SIGBUS: for an address inside a watched
// mapping the handler prints "kexec: PATH: the file changed ..." and exits 1 (sigbus.c).
// Returns 0, or -1 when the table is full (the mapping is then simply not watched).
int ckexec_watch_mapping(const void *base, size_t length, const char *path);
void ckexec_unwatch_mapping(const void *base);

// Constants from <linux/kexec.h> / <linux/reboot.h>, exposed as functions because
// Swift 6 rejects C globals as not concurrency-safe.
unsigned long ckexec_arch_x86_64(void);
unsigned long ckexec_flag_on_crash(void);
#endif
