// A mapped file that shrinks while we read it faults (SIGBUS) on the pages past its new end.
// Parsing and hashing touch every page before any system call that loads (the kernel's own
// copy would get EFAULT instead), so nothing has been loaded then: say which file and exit 1
// instead of dying by the signal with no message.
#define _GNU_SOURCE
#include "ckexec_shim.h"
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_WATCHED = 32 };
static struct { uintptr_t start, end; char *path; } watched[MAX_WATCHED];
static volatile sig_atomic_t installed;

static void say(const char *s) { ssize_t r = write(2, s, strlen(s)); (void)r; }

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    (void)context;
    uintptr_t at = (uintptr_t)info->si_addr;
    for (int i = MAX_WATCHED - 1; i >= 0; i--) {
        if (watched[i].path && at >= watched[i].start && at < watched[i].end) {
            say("kexec: ");
            say(watched[i].path);
            say(": the file changed (it shrank) while being read; nothing was loaded\n");
            _exit(1);
        }
    }
    // not one of our mappings: die by the signal as before
    signal(sig, SIG_DFL);
    raise(sig);
}

int ckexec_watch_mapping(const void *base, size_t length, const char *path) {
    if (!installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGBUS, &sa, NULL) != 0) return -1;
        installed = 1;
    }
    for (int i = 0; i < MAX_WATCHED; i++) {
        if (!watched[i].path) {
            char *copy = strdup(path);
            if (!copy) return -1;
            watched[i].start = (uintptr_t)base;
            watched[i].end = (uintptr_t)base + length;
            watched[i].path = copy;   // set last: the handler reads path first
            return 0;
        }
    }
    return -1;
}

void ckexec_unwatch_mapping(const void *base) {
    for (int i = 0; i < MAX_WATCHED; i++) {
        if (watched[i].path && watched[i].start == (uintptr_t)base) {
            char *path = watched[i].path;
            watched[i].path = NULL;
            free(path);
            return;
        }
    }
}
