#define _GNU_SOURCE
#include "ckexec_memfd.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

static int result(int r) { return r < 0 ? -errno : r; }

int ckexec_memfd_create(const char *name) {
    return result(memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
}

int ckexec_all_seals(void) { return F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE; }

int ckexec_memfd_seal(int fd) { return result(fcntl(fd, F_ADD_SEALS, ckexec_all_seals())); }

int ckexec_get_seals(int fd) { return result(fcntl(fd, F_GET_SEALS)); }
