// glibc's getopt_long, for kexec-tools' exact command-line contract (permutation, clustered
// short options, -tTYPE, unambiguous long prefixes, values that begin with '-'). Its state is
// global, so one parse runs at a time; errors are reported to the caller, never printed.
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include "ckexec_shim.h"

static pthread_mutex_t getopt_lock = PTHREAD_MUTEX_INITIALIZER;

int ckexec_getopt_long(int argc, char **argv, const char *shortopts,
                       const ckexec_long_option *longopts, int count,
                       void *context, ckexec_option_callback callback) {
    struct option table[count + 1];
    for (int i = 0; i < count; i++) {
        table[i].name = longopts[i].name;
        table[i].has_arg = longopts[i].has_arg ? required_argument : no_argument;
        table[i].flag = NULL;
        table[i].val = longopts[i].code;
    }
    table[count].name = NULL;
    table[count].has_arg = 0;
    table[count].flag = NULL;
    table[count].val = 0;

    pthread_mutex_lock(&getopt_lock);
    opterr = 0;
    optind = 0;   // glibc: 0 re-initialises the scanner
    int code;
    while ((code = getopt_long(argc, argv, shortopts, table, NULL)) != -1) {
        const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        callback(context, code, optarg, optopt, word);
    }
    int first_operand = optind;
    pthread_mutex_unlock(&getopt_lock);
    return first_operand;
}
