// Linked into the aarch64 static kexec only (scripts/build-static.sh --arch arm64).
//
// Sid's aarch64 Swift runtime (libswiftCore.a of swiftlang 6.2.3) was compiled against glibc
// 2.42, whose headers redirect strtol, strtoll, strtoul and sscanf to their C23 versions
// (__isoc23_*, new in glibc 2.38: they also read "0b" binary numbers). The sysroot's libc.a is
// Debian 12's glibc 2.36, which has the classic functions only. The runtime uses them to read
// its SWIFT_* environment variables and numbers in /proc files, never binary literals, so the
// classic functions serve. build-static.sh links this object only when libc.a lacks
// __isoc23_strtol (with a glibc >= 2.38 sysroot the two definitions would clash).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

long __isoc23_strtol(const char *s, char **end, int base);
long long __isoc23_strtoll(const char *s, char **end, int base);
unsigned long __isoc23_strtoul(const char *s, char **end, int base);
int __isoc23_sscanf(const char *s, const char *format, ...);

long __isoc23_strtol(const char *s, char **end, int base) { return strtol(s, end, base); }
long long __isoc23_strtoll(const char *s, char **end, int base) { return strtoll(s, end, base); }
unsigned long __isoc23_strtoul(const char *s, char **end, int base) { return strtoul(s, end, base); }

int __isoc23_sscanf(const char *s, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    int n = vsscanf(s, format, ap);
    va_end(ap);
    return n;
}
