#define _GNU_SOURCE
#include "ckexec_shim.h"
#include <errno.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(ckexec_segment) == sizeof(struct kexec_segment), "kexec_segment layout");

static long result(long r) { return r < 0 ? -errno : r; }

long ckexec_kexec_load(uint64_t entry, unsigned long nr_segments,
                       const ckexec_segment *segments, unsigned long flags) {
    return result(syscall(SYS_kexec_load, (unsigned long)entry, nr_segments, segments, flags));
}

long ckexec_kexec_file_load(int kernel_fd, int initrd_fd, unsigned long cmdline_len,
                            const char *cmdline, unsigned long flags) {
    return result(syscall(SYS_kexec_file_load, kernel_fd, initrd_fd, cmdline_len, cmdline, flags));
}

long ckexec_reboot_kexec(void) {
    return result(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                          LINUX_REBOOT_CMD_KEXEC, 0));
}

long ckexec_getrandom(void *buf, size_t len, unsigned int flags) {
    return result(syscall(SYS_getrandom, buf, len, flags));
}

static int saved_argc;
static char **saved_argv;

// glibc passes (argc, argv, envp) to constructors in static and dynamic binaries.
__attribute__((constructor)) static void ckexec_capture_argv(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

int ckexec_saved_argc(void) { return saved_argc; }
const char *ckexec_saved_argv(int index) {
    return (index >= 0 && index < saved_argc) ? saved_argv[index] : NULL;
}

unsigned long ckexec_arch_x86_64(void) { return KEXEC_ARCH_X86_64; }
unsigned long ckexec_flag_on_crash(void) { return KEXEC_ON_CRASH; }
