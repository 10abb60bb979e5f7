# The unload-status scenario through kexec_file_load (-s).
SYSCALL=-s
# KEXEC_FILE_NO_CMA: accepted by 6.17+, rejected by 6.1 (we ask again without it); kexec-tools
# 2.0.25 (--peer) does not know --no-cma
[ "$KEXEC" = /bin/kexec ] && LOAD_AGAIN_OPT=--no-cma
. /scenarios/unload-status.sh
