# uki-load-exec through kexec_file_load (-s): Linux cannot parse a UKI, so the embedded kernel
# and initrd go to it in sealed memfds, with the UKI's .cmdline.
SYSCALL=-s
. /scenarios/uki-load-exec.sh
