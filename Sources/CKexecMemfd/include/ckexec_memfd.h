// A sealed memfd for handing decompressed kernel bytes to kexec_file_load(2).
// memfd_create(2) and the F_*SEALS commands need _GNU_SOURCE, which Swift's Glibc lacks.
#ifndef CKEXEC_MEMFD_H
#define CKEXEC_MEMFD_H

// memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING). Returns the fd or -errno.
int ckexec_memfd_create(const char *name);
// F_ADD_SEALS with F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE. Returns 0 or -errno.
int ckexec_memfd_seal(int fd);
// F_GET_SEALS. Returns the seal bits or -errno.
int ckexec_get_seals(int fd);
// The bits ckexec_memfd_seal adds.
int ckexec_all_seals(void);
#endif
