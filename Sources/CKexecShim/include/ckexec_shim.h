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

// One long option for ckexec_getopt_long (has_arg: 0 none, 1 required).
typedef struct {
    const char *name;
    int has_arg;
    int code;
} ckexec_long_option;
// Called per option in order: code is the option's code, '?' (unknown, or an ambiguous long
// prefix: optopt 0) or ':' (value missing; shortopts must start with ':'); word is the argv
// element that held the option.
typedef void (*ckexec_option_callback)(void *context, int code, const char *value, int optopt, const char *word);
// Parses with glibc's getopt_long (GNU permutation: argv's pointers are reordered) and returns
// the index of the first operand.
int ckexec_getopt_long(int argc, char **argv, const char *shortopts,
                       const ckexec_long_option *longopts, int count,
                       void *context, ckexec_option_callback callback);

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
