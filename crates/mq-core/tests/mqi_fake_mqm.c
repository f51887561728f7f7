/* A scripted stand-in for libmqm_r.so, compiled by tests/mqi_fork.rs with gcc. It tests the probe's
 * machinery (fork, identity, deadline, decoding) apart from the simulator. Struct fields are read
 * at IBM's raw offsets (docs/reference/mqi.md#struct-layouts), independently of the Rust types.
 *
 * Beside the library: "script" (lines "VERB rc N" | "VERB hang" | "VERB crash", "MQOPEN:OBJECT rc N",
 * "QMNAME name", "SPAWN" (MQCONNX leaves a helper process behind),
 * "NOMSGID", "CORRUPT", "IPC n") is read on every call; "calls.log" gets one line per call. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[4096];
static char connected_qm[49];
static char msg[4096];
static int msglen = -1;
static unsigned char msgid[24];
static int counter;

static void init_dir(void) {
    if (dir[0]) return;
    Dl_info i;
    dladdr((void *)init_dir, &i);
    strncpy(dir, i.dli_fname, sizeof dir - 1);
    char *s = strrchr(dir, '/');
    if (s) *s = 0;
}

static void logline(const char *fmt, ...) {
    init_dir();
    char p[4200];
    snprintf(p, sizeof p, "%s/calls.log", dir);
    FILE *f = fopen(p, "a");
    if (!f) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

/* Finds "KEY value" in the script; returns 1 and copies value when found. */
static int script(const char *key, char *val, size_t n) {
    init_dir();
    char p[4200], line[512];
    snprintf(p, sizeof p, "%s/script", dir);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        char k[64] = "", v[400] = "";
        if (sscanf(line, "%63s %399[^\n]", k, v) < 1) continue;
        if (strcmp(k, key) == 0) {
            if (val) { strncpy(val, v, n - 1); val[n - 1] = 0; }
            found = 1;
            break;
        }
    }
    fclose(f);
    return found;
}

/* Applies "VERB rc N" / "hang" / "crash"; returns the reason to fail with, or 0. */
static int scripted(const char *verb, int *cc, int *rc) {
    char v[400];
    *cc = 0;
    *rc = 0;
    if (!script(verb, v, sizeof v)) return 0;
    if (strncmp(v, "hang", 4) == 0) for (;;) pause();
    if (strncmp(v, "crash", 5) == 0) abort();
    if (strncmp(v, "rc ", 3) == 0) {
        *cc = 2;
        *rc = atoi(v + 3);
        return *rc;
    }
    return 0;
}

static int L(const void *base, int off) { int x; memcpy(&x, (const char *)base + off, 4); return x; }
static void blankpad(char *dst, const char *src, int n) {
    int l = (int)strlen(src);
    memset(dst, ' ', n);
    memcpy(dst, src, l < n ? l : n);
}
static void trim(char *dst, const char *src, int n) {
    memcpy(dst, src, n);
    dst[n] = 0;
    char *z = memchr(dst, 0, n);
    int l = z ? (int)(z - dst) : n;
    while (l > 0 && dst[l - 1] == ' ') l--;
    dst[l] = 0;
}

void MQCONNX(char *qm, void *cno, int *hconn, int *cc, int *rc) {
    char name[49], strucid[5];
    trim(name, qm, 48);
    memcpy(strucid, cno, 4);
    strucid[4] = 0;
    gid_t groups[64];
    int ng = getgroups(64, groups);
    char comm[32] = "";
    FILE *cf = fopen("/proc/self/comm", "r");
    if (cf) { if (fgets(comm, sizeof comm, cf)) comm[strcspn(comm, "\n")] = 0; fclose(cf); }
    logline("MQCONNX comm=%s qm=%s strucid=%s ver=%d opts=%d uid=%d euid=%d gid=%d egid=%d ngroups=%d pid=%d pgid=%d",
            comm, name, strucid, L(cno, 4), L(cno, 8), (int)getuid(), (int)geteuid(), (int)getgid(),
            (int)getegid(), ng, (int)getpid(), (int)getpgid(0));
    if (L(cno, 4) >= 2) {
        void *cd;
        memcpy(&cd, (char *)cno + 16, sizeof cd);
        if (cd) {
            char chl[21], conn[265];
            trim(chl, cd, 20);
            trim(conn, (char *)cd + 1024, 264);
            logline("MQCD ver=%d type=%d transport=%d chl=%s conn=%s struclen=%d", L(cd, 20), L(cd, 24),
                    L(cd, 28), chl, conn, L(cd, 1492));
        }
    }
    if (scripted("MQCONNX", cc, rc)) return;
    if (script("SPAWN", NULL, 0)) {
        /* A helper process that inherits the probe's descriptors and outlives the call. */
        pid_t p = fork();
        if (p == 0) { sleep(30); _exit(0); }
        logline("SPAWNED pid=%d", (int)p);
    }
    strcpy(connected_qm, name);
    *hconn = 7;
}

void MQDISC(int *hconn, int *cc, int *rc) {
    logline("MQDISC hconn=%d", *hconn);
    if (scripted("MQDISC", cc, rc)) return;
    *hconn = -1;
}

void MQOPEN(int hconn, void *od, int opts, int *hobj, int *cc, int *rc) {
    char name[49], dyn[49];
    trim(name, (char *)od + 12, 48);
    trim(dyn, (char *)od + 108, 48);
    logline("MQOPEN hconn=%d type=%d name=%s dyn=%s opts=%d", hconn, L(od, 8), name, dyn, opts);
    char key[80];
    snprintf(key, sizeof key, "MQOPEN:%s", name);
    if (scripted(key, cc, rc) || scripted("MQOPEN", cc, rc)) return;
    if (strncmp(name, "SYSTEM.DEFAULT.MODEL", 20) == 0) blankpad((char *)od + 12, "MQHA.FAKE0001", 48);
    *hobj = 11;
}

void MQCLOSE(int hconn, int *hobj, int opts, int *cc, int *rc) {
    logline("MQCLOSE hobj=%d opts=%d", *hobj, opts);
    if (scripted("MQCLOSE", cc, rc)) return;
    *hobj = -1;
}

void MQPUT(int hconn, int hobj, void *md, void *pmo, int len, void *buf, int *cc, int *rc) {
    char fmt[9];
    memcpy(fmt, (char *)md + 32, 8);
    fmt[8] = 0;
    logline("MQPUT pers=%d fmt=%s pmo_opts=%d len=%d", L(md, 44), fmt, L(pmo, 8), len);
    if (scripted("MQPUT", cc, rc)) return;
    if (len > (int)sizeof msg) { *cc = 2; *rc = 2030; return; }
    memcpy(msg, buf, len);
    msglen = len;
    memset(msgid, 0, 24);
    if (!script("NOMSGID", NULL, 0)) {
        memcpy(msgid, "AMQ FAKE", 8);
        msgid[23] = (unsigned char)++counter;
    }
    memcpy((char *)md + 48, msgid, 24);
}

void MQGET(int hconn, int hobj, void *md, void *gmo, int buflen, void *buf, int *datalen, int *cc, int *rc) {
    static const unsigned char none[24];
    int match = memcmp((char *)md + 48, msgid, 24) == 0;
    int any = memcmp((char *)md + 48, none, 24) == 0;
    logline("MQGET gmo_opts=%d wait=%d msgid_match=%d msgid_any=%d", L(gmo, 8), L(gmo, 12), match, any);
    if (scripted("MQGET", cc, rc)) return;
    if (msglen < 0 || !(match || any)) { *cc = 2; *rc = 2033; return; }
    if (script("CORRUPT", NULL, 0)) msg[0] ^= 1;
    memcpy(buf, msg, msglen < buflen ? msglen : buflen);
    *datalen = msglen;
    msglen = -1;
}

#ifndef NO_INQ
void MQINQ(int hconn, int hobj, int nsel, int *sel, int nint, int *ints, int clen, char *chars, int *cc, int *rc) {
    logline("MQINQ nsel=%d sel0=%d nint=%d clen=%d", nsel, nsel > 0 ? sel[0] : -1, nint, clen);
    if (scripted("MQINQ", cc, rc)) return;
    char v[400];
    for (int i = 0; i < nsel; i++) {
        if (sel[i] == 2015 && clen >= 48) blankpad(chars, script("QMNAME", v, sizeof v) ? v : connected_qm, 48);
        if (sel[i] == 17 && nint >= 1) ints[0] = script("IPC", v, sizeof v) ? atoi(v) : 0;
    }
}
#endif
