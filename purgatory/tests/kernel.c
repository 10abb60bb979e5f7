/*
 * Bare-metal test kernel for the purgatory blob under QEMU (not shipped; see run.sh).
 * Multiboot entry in boot.S switches to long mode with CR4 = PAE only (no SSE enabled,
 * as after Xen's hand-off) and a GDT whose selectors differ from 0x10/0x18, which it
 * overwrites with garbage just before jumping into purgatory.
 *
 * Command line (key=value): mode=e2e|corrupt|bench|peer len=N d0=HEX d1=HEX rsp=N
 * flags=N backup=N backupsrc=N reps=N tscmhz=N.
 */
#include <stdint.h>
#include <stddef.h>
void outb(uint16_t port, uint8_t v);
uint8_t inb(uint16_t port);
uint64_t read_tsc(void);
void jump_to(uint64_t entry) __attribute__((noreturn));
void landing(void);
#ifdef WITH_PEER
/* kexec-tools' own purgatory object, linked in with its symbols prefixed (run.sh --peer). */
void kt_sha256_starts(void *ctx); void kt_sha256_update(void *ctx, const void *p, uint64_t len); void kt_sha256_finish(void *ctx, uint8_t *out);
static void peer_sha256(const void *p, uint64_t len, uint8_t *out) { uint64_t ctx[16]; kt_sha256_starts(ctx); kt_sha256_update(ctx, p, len); kt_sha256_finish(ctx, out); }
#endif
extern uint8_t blob_start[], blob_end[];
extern uint64_t regs_seen[9];

#define BLOB_AT   0x3000000UL
#define BUF_AT    0x4000000UL
#define BUF2_AT   0xA000003UL
#define BACKUP_DST 0xB000000UL
#define BACKUP_LEN (640 * 1024UL)
#define STACK_FOR_NEXT 0xC000000UL

static void putc_(char c) { while (!(inb(0x3f8 + 5) & 0x20)) {} outb(0x3f8, c); }
static void puts_(const char *s) { while (*s) { if (*s == '\n') putc_('\r'); putc_(*s++); } }
static void puthex(uint64_t v) { puts_("0x"); for (int s = 60; s >= 0; s -= 4) putc_("0123456789abcdef"[(v >> s) & 15]); }
static void putdec(uint64_t v) { char b[24]; int n = 0; do { b[n++] = '0' + v % 10; v /= 10; } while (v); while (n) putc_(b[--n]); }
static void quit(int code) { outb(0xf4, code); for (;;) __asm__ volatile("hlt"); }

static const char *cmdline = "";
static const char *arg(const char *key) {
    const char *p = cmdline;
    size_t k = 0; while (key[k]) k++;
    while (*p) {
        while (*p == ' ') p++;
        size_t i = 0; while (i < k && p[i] == key[i]) i++;
        if (i == k && p[k] == '=') return p + k + 1;
        while (*p && *p != ' ') p++;
    }
    return 0;
}
static uint64_t argnum(const char *key, uint64_t def) {
    const char *p = arg(key); if (!p) return def;
    uint64_t v = 0;
    if (p[0] == '0' && p[1] == 'x') { p += 2; for (;; p++) { int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1; if (d < 0) break; v = v * 16 + d; } }
    else for (; *p >= '0' && *p <= '9'; p++) v = v * 10 + (*p - '0');
    return v;
}
static void argdigest(const char *key, uint8_t *out) {
    const char *p = arg(key);
    for (int i = 0; i < 32; i++) {
        uint8_t v = 0;
        for (int j = 0; j < 2; j++) { char c = p ? *p++ : '0'; v = v * 16 + (c >= 'a' ? c - 'a' + 10 : c - '0'); }
        out[i] = v;
    }
}
static void fill(uint8_t *p, uint64_t len, uint64_t x) {
    uint64_t *w = (uint64_t *)p; uint64_t n = (len + 7) / 8;
    for (uint64_t i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; w[i] = x; }
}
static void copy(uint8_t *d, const uint8_t *s, uint64_t n) { for (uint64_t i = 0; i < n; i++) d[i] = s[i]; }

static uint64_t tsc_mhz = 2445;
static uint8_t *params;
static uint64_t expect_rsp;

void landed(void) {
    puts_("landed: rax="); puthex(regs_seen[0]); puts_(" rbx="); puthex(regs_seen[1]);
    puts_(" rsi="); puthex(regs_seen[4]); puts_(" rsp="); puthex(regs_seen[7]);
    uint16_t *sel = (uint16_t *)&regs_seen[8];
    puts_(" cs="); puthex(sel[0]); puts_(" ds="); puthex(sel[1]); puts_(" ss="); puthex(sel[2]); puts_("\n");
    int ok = 1;
    for (int i = 0; i < 7; i++) if (regs_seen[i] != 0x1111111111111111ULL * (i + 1)) { ok = 0; puts_("register mismatch "); putdec(i); puts_("\n"); }
    if (regs_seen[7] != expect_rsp) { ok = 0; puts_("rsp mismatch, expected "); puthex(expect_rsp); puts_("\n"); }
    if (sel[0] != 0x10 || sel[1] != 0x18 || sel[2] != 0x18 || sel[3] != 0x18) { ok = 0; puts_("selector mismatch\n"); }
    uint64_t blen = argnum("backup", 0);
    if (blen) {
        const uint8_t *s = (const uint8_t *)argnum("backupsrc", 0); const uint8_t *d = (const uint8_t *)BACKUP_DST;
        for (uint64_t i = 0; i < blen; i++) if (s[i] != d[i]) { ok = 0; puts_("backup mismatch at "); puthex(i); puts_("\n"); break; }
        if (d[blen] != 0xee) { ok = 0; puts_("backup overran\n"); }
    }
    puts_(ok ? "E2E OK\n" : "E2E FAIL\n");
    quit(ok ? 0x10 : 0x11);
}

void test_main(uint32_t mbi) {
    uint32_t flags = *(uint32_t *)(uintptr_t)mbi;
    if (flags & 4) cmdline = (const char *)(uintptr_t)*(uint32_t *)(uintptr_t)(mbi + 16);
    puts_("test kernel: "); puts_(cmdline); puts_("\n");
    tsc_mhz = argnum("tscmhz", 2445);
    uint64_t len = argnum("len", 72 << 20);
    fill((uint8_t *)BUF_AT, len, 0x9E3779B97F4A7C15ULL);
    fill((uint8_t *)(BUF2_AT - 3), 12345 + 8, 0x0123456789ABCDEFULL);
    /* buf2 starts 3 bytes into its own pattern stream */
    uint8_t *blob = (uint8_t *)BLOB_AT;
    copy(blob, blob_start, blob_end - blob_start);
    for (uint64_t i = blob_end - blob_start; i < MEMSIZE; i++) blob[i] = 0;
    params = blob + PARAMS_OFF;
    const char *mode = arg("mode");
    if (mode && (mode[0] == 'b' || mode[0] == 'p')) {  /* bench, peer */
        void (*sha)(const void *, uint64_t, uint8_t *) = (void *)(blob + SHA_OFF);
#ifdef WITH_PEER
        if (mode[0] == 'p') sha = peer_sha256;
#else
        if (mode[0] == 'p') { puts_("no peer linked in\n"); quit(0x11); }
#endif
        int reps = argnum("reps", 3);
        for (int rep = 0; rep < reps; rep++) {
            uint8_t d[32];
            uint64_t t0 = read_tsc(); sha((void *)BUF_AT, len, d); uint64_t t1 = read_tsc();
            puts_("sha256 "); for (int i = 0; i < 32; i++) { putc_("0123456789abcdef"[d[i] >> 4]); putc_("0123456789abcdef"[d[i] & 15]); }
            uint64_t us = (t1 - t0) / tsc_mhz;
            puts_(" us="); putdec(us); puts_(" MB/s="); putdec(us ? len / us : 0); puts_("\n");
        }
        quit(0x10);
    }
    /* e2e / bad */
    for (int i = 0; i < 7; i++) ((uint64_t *)params)[i] = 0x1111111111111111ULL * (i + 1);
    expect_rsp = argnum("rsp", STACK_FOR_NEXT);
    ((uint64_t *)params)[7] = expect_rsp;
    if (expect_rsp == 0) expect_rsp = BLOB_AT + STACKTOP_OFF;
    ((uint64_t *)params)[8] = (uint64_t)landing;
    *(uint32_t *)(params + 72) = argnum("flags", 0);
    *(uint32_t *)(params + 76) = 2;
    *(uint16_t *)(params + 80) = 0x3f8;
    uint64_t blen = argnum("backup", 0);
    if (blen) {
        *(uint64_t *)(params + 88) = argnum("backupsrc", 0);
        *(uint64_t *)(params + 96) = BACKUP_DST;
        *(uint64_t *)(params + 104) = blen;
        for (uint64_t i = 0; i < blen + 16; i++) ((uint8_t *)BACKUP_DST)[i] = 0xee;
    }
    *(uint64_t *)(params + 128) = BUF_AT; *(uint64_t *)(params + 136) = len; argdigest("d0", params + 144);
    *(uint64_t *)(params + 176) = BUF2_AT; *(uint64_t *)(params + 184) = 12345; argdigest("d1", params + 192);
    if (mode && mode[0] == 'c') ((uint8_t *)BUF2_AT)[12000] ^= 0x40;   /* corrupt */
    puts_("jumping to purgatory\n");
    uint64_t t0 = read_tsc();
    *(uint64_t *)0x7000 = t0;
    jump_to(BLOB_AT + ENTRY_OFF);
}
