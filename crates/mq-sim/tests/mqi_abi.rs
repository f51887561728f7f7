//! The MQI C library seen from C: a program compiled here with gcc, whose structures are written
//! by hand from docs/reference/mqi.md#struct-layouts and #default-initialisers (layouts checked with _Static_assert
//! against the offsets printed there), linked against ROOT/opt/mqm/lib64/libmqm_r.so as IBM's build line does. It
//! proves
//! the ABI independently of the simulator's Rust types. Needs gcc and root.

use mq_testkit::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const PROBE_C: &str = r#"
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <time.h>

typedef int MQLONG;
typedef struct { void *VSPtr; MQLONG VSOffset, VSBufSize, VSLength, VSCCSID; } MQCHARV;
typedef struct {
  char StrucId[4]; MQLONG Version; MQLONG ObjectType; char ObjectName[48]; char ObjectQMgrName[48];
  char DynamicQName[48]; char AlternateUserId[12];
  MQLONG RecsPresent, KnownDestCount, UnknownDestCount, InvalidDestCount, ObjectRecOffset, ResponseRecOffset;
  void *ObjectRecPtr; void *ResponseRecPtr;
  unsigned char AlternateSecurityId[40]; char ResolvedQName[48]; char ResolvedQMgrName[48];
  MQCHARV ObjectString, SelectionString, ResObjectString; MQLONG ResolvedType;
} MQOD;
typedef struct {
  char StrucId[4]; MQLONG Version, Report, MsgType, Expiry, Feedback, Encoding, CodedCharSetId;
  char Format[8]; MQLONG Priority, Persistence; unsigned char MsgId[24], CorrelId[24]; MQLONG BackoutCount;
  char ReplyToQ[48], ReplyToQMgr[48], UserIdentifier[12]; unsigned char AccountingToken[32];
  char ApplIdentityData[32]; MQLONG PutApplType; char PutApplName[28], PutDate[8], PutTime[8], ApplOriginData[4];
  unsigned char GroupId[24]; MQLONG MsgSeqNumber, Offset, MsgFlags, OriginalLength;
} MQMD;
typedef struct {
  char StrucId[4]; MQLONG Version, Options, Timeout, Context, KnownDestCount, UnknownDestCount, InvalidDestCount;
  char ResolvedQName[48], ResolvedQMgrName[48];
  MQLONG RecsPresent, PutMsgRecFields, PutMsgRecOffset, ResponseRecOffset; void *PutMsgRecPtr, *ResponseRecPtr;
  long OriginalMsgHandle, NewMsgHandle; MQLONG Action, PubLevel;
} MQPMO;
typedef struct {
  char StrucId[4]; MQLONG Version, Options, WaitInterval, Signal1, Signal2; char ResolvedQName[48];
  MQLONG MatchOptions; char GroupStatus, SegmentStatus, Segmentation, Reserved1; unsigned char MsgToken[16];
  MQLONG ReturnedLength, Reserved2; long MsgHandle;
} MQGMO;
typedef struct {
  char StrucId[4]; MQLONG Version, Options, ClientConnOffset; void *ClientConnPtr; unsigned char ConnTag[128];
  void *SSLConfigPtr; MQLONG SSLConfigOffset; unsigned char ConnectionId[24]; MQLONG SecurityParmsOffset;
  void *SecurityParmsPtr; char *CCDTUrlPtr; MQLONG CCDTUrlOffset, CCDTUrlLength; unsigned char Reserved[8];
  char ApplName[28]; unsigned char Reserved2[4]; void *BalanceParmsPtr; MQLONG BalanceParmsOffset; unsigned char Reserved3[4];
} MQCNO;

_Static_assert(sizeof(MQOD) == 424, "MQOD"); _Static_assert(offsetof(MQOD, DynamicQName) == 108, "od dyn");
_Static_assert(offsetof(MQOD, ResolvedType) == 416, "od rt");
_Static_assert(sizeof(MQMD) == 364, "MQMD"); _Static_assert(offsetof(MQMD, MsgId) == 48, "md msgid");
_Static_assert(offsetof(MQMD, PutApplName) == 276, "md pan");
_Static_assert(sizeof(MQPMO) == 184, "MQPMO"); _Static_assert(offsetof(MQPMO, PubLevel) == 180, "pmo pl");
_Static_assert(sizeof(MQGMO) == 112, "MQGMO"); _Static_assert(offsetof(MQGMO, MatchOptions) == 72, "gmo mo");
_Static_assert(offsetof(MQGMO, MsgHandle) == 104, "gmo mh");
_Static_assert(sizeof(MQCNO) == 272, "MQCNO"); _Static_assert(offsetof(MQCNO, ClientConnPtr) == 16, "cno cc");
_Static_assert(offsetof(MQCNO, SecurityParmsPtr) == 192, "cno sp");

void MQCONN(char *, MQLONG *, MQLONG *, MQLONG *);
void MQCONNX(char *, void *, MQLONG *, MQLONG *, MQLONG *);
void MQDISC(MQLONG *, MQLONG *, MQLONG *);
void MQOPEN(MQLONG, void *, MQLONG, MQLONG *, MQLONG *, MQLONG *);
void MQCLOSE(MQLONG, MQLONG *, MQLONG, MQLONG *, MQLONG *);
void MQPUT(MQLONG, MQLONG, void *, void *, MQLONG, void *, MQLONG *, MQLONG *);
void MQPUT1(MQLONG, void *, void *, void *, MQLONG, void *, MQLONG *, MQLONG *);
void MQGET(MQLONG, MQLONG, void *, void *, MQLONG, void *, MQLONG *, MQLONG *, MQLONG *);
void MQINQ(MQLONG, MQLONG, MQLONG, MQLONG *, MQLONG, MQLONG *, MQLONG, char *, MQLONG *, MQLONG *);

/* IBM's *_DEFAULT values, by hand from docs/reference/mqi.md#default-initialisers. */
static void od_default(MQOD *o) { memset(o, 0, sizeof *o); memcpy(o->StrucId, "OD  ", 4); o->Version = 1; o->ObjectType = 1;
  strcpy(o->DynamicQName, "AMQ.*"); o->ObjectString.VSCCSID = o->SelectionString.VSCCSID = o->ResObjectString.VSCCSID = -3; }
static void md_default(MQMD *m) { memset(m, 0, sizeof *m); memcpy(m->StrucId, "MD  ", 4); m->Version = 1; m->MsgType = 8;
  m->Expiry = -1; m->Encoding = 546; memcpy(m->Format, "        ", 8); m->Priority = -1; m->Persistence = 2;
  m->MsgSeqNumber = 1; m->OriginalLength = -1; }
static void pmo_default(MQPMO *p) { memset(p, 0, sizeof *p); memcpy(p->StrucId, "PMO ", 4); p->Version = 1; p->Timeout = -1; p->PubLevel = 9; }
static void gmo_default(MQGMO *g) { memset(g, 0, sizeof *g); memcpy(g->StrucId, "GMO ", 4); g->Version = 1; g->MatchOptions = 3;
  g->GroupStatus = g->SegmentStatus = g->Segmentation = g->Reserved1 = ' '; g->ReturnedLength = -1; }
static void cno_default(MQCNO *c) { memset(c, 0, sizeof *c); memcpy(c->StrucId, "CNO ", 4); c->Version = 1; memset(c->ApplName, ' ', 28); }

static long now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000L + t.tv_nsec / 1000000L; }

int main(int argc, char **argv) {
  char qm[48]; memset(qm, 0, 48); strncpy(qm, argc > 1 ? argv[1] : "", 48);
  MQLONG hconn = 0, cc = 0, rc = 0, hobj = 0, hqm = 0, dlen = 0;
  MQCNO cno; cno_default(&cno); cno.Options = 0x40; /* MQCNO_HANDLE_SHARE_BLOCK */
  MQCONNX(qm, &cno, &hconn, &cc, &rc);
  printf("connx %d %d\n", cc, rc);
  if (cc == 2) return 1;

  MQOD od; od_default(&od); od.ObjectType = 5; /* MQOT_Q_MGR, blank name */
  MQOPEN(hconn, &od, 0x20 /* INQUIRE */, &hqm, &cc, &rc);
  printf("open_qmgr %d %d\n", cc, rc);
  MQLONG sel[3] = { 2015, 32, 31 }, ints[2] = { 0, 0 }; char chars[48];
  MQINQ(hconn, hqm, 3, sel, 2, ints, 48, chars, &cc, &rc);
  printf("inq_qmgr %d %d name=[%.48s] platform=%d cmdlevel=%d\n", cc, rc, chars, ints[0], ints[1]);
  MQCLOSE(hconn, &hqm, 0, &cc, &rc);

  od_default(&od); strcpy(od.ObjectName, "SYSTEM.DEFAULT.MODEL.QUEUE"); strcpy(od.DynamicQName, "MQHA.*");
  MQOPEN(hconn, &od, 0x4 | 0x10 | 0x20 | 0x2000, &hobj, &cc, &rc);
  printf("open_model %d %d dynq=[%.48s] qmgr=[%.48s]\n", cc, rc, od.ObjectName, od.ObjectQMgrName);
  MQLONG sel2[2] = { 7, 3 }, ints2[2] = { 0, 0 };
  MQINQ(hconn, hobj, 2, sel2, 2, ints2, 0, NULL, &cc, &rc);
  printf("inq_dyn %d %d deftype=%d depth=%d\n", cc, rc, ints2[0], ints2[1]);

  MQMD md; md_default(&md); memcpy(md.Format, "MQSTR   ", 8); md.Persistence = 0;
  MQPMO pmo; pmo_default(&pmo); pmo.Options = 0x40 | 0x4 | 0x2000;
  char msg[] = "probe-message";
  MQPUT(hconn, hobj, &md, &pmo, (MQLONG)strlen(msg), msg, &cc, &rc);
  unsigned char zero[24] = { 0 };
  printf("put %d %d msgid_set=%d\n", cc, rc, memcmp(md.MsgId, zero, 24) != 0);

  MQMD pmd; md_default(&pmd); pmd.Persistence = 1;
  MQPUT(hconn, hobj, &pmd, &pmo, 4, "pers", &cc, &rc);
  printf("put_persistent %d %d\n", cc, rc);

  MQGMO gmo; gmo_default(&gmo); gmo.Options = 0x1 | 0x4 | 0x2000; gmo.WaitInterval = 2000;
  char buf[100]; memset(buf, 0, sizeof buf);
  MQGET(hconn, hobj, &md, &gmo, sizeof buf - 1, buf, &dlen, &cc, &rc);
  printf("get %d %d len=%d data=[%s] format=[%.8s]\n", cc, rc, dlen, buf, md.Format);

  MQMD gmd; md_default(&gmd); gmo.WaitInterval = 500;
  long t0 = now_ms();
  MQGET(hconn, hobj, &gmd, &gmo, sizeof buf, buf, &dlen, &cc, &rc);
  printf("get_empty %d %d waited_ms=%ld\n", cc, rc, now_ms() - t0);

  md_default(&md); md.Persistence = 0;
  MQPUT(hconn, hobj, &md, &pmo, 10, "0123456789", &cc, &rc);
  md_default(&gmd); gmo.WaitInterval = 0; gmo.Options = 0x4;
  MQGET(hconn, hobj, &gmd, &gmo, 4, buf, &dlen, &cc, &rc);
  printf("get_short %d %d len=%d\n", cc, rc, dlen);
  md_default(&gmd); gmo.Options = 0x4 | 0x40;
  memset(buf, 0, sizeof buf);
  MQGET(hconn, hobj, &gmd, &gmo, 4, buf, &dlen, &cc, &rc);
  printf("get_truncated %d %d len=%d data=[%s]\n", cc, rc, dlen, buf);
  md_default(&gmd);
  MQGET(hconn, hobj, &gmd, &gmo, sizeof buf, buf, &dlen, &cc, &rc);
  printf("get_after %d %d\n", cc, rc);

  md_default(&md); md.Persistence = 0; md.Expiry = 1; /* a tenth of a second */
  MQPUT(hconn, hobj, &md, &pmo, 3, "old", &cc, &rc);
  struct timespec pause = { 0, 300000000L }; nanosleep(&pause, NULL);
  md_default(&gmd);
  MQGET(hconn, hobj, &gmd, &gmo, sizeof buf, buf, &dlen, &cc, &rc);
  printf("get_expired %d %d\n", cc, rc);

  MQCLOSE(hconn, &hobj, 0, &cc, &rc);
  printf("close %d %d hobj=%d\n", cc, rc, hobj);

  od_default(&od); strcpy(od.ObjectName, "NO.SUCH.QUEUE");
  MQOPEN(hconn, &od, 0x10, &hobj, &cc, &rc);
  printf("open_unknown %d %d\n", cc, rc);

  od_default(&od); strcpy(od.ObjectName, "SYSTEM.DEFAULT.LOCAL.QUEUE");
  md_default(&md); pmo_default(&pmo);
  MQPUT1(hconn, &od, &md, &pmo, 3, "one", &cc, &rc);
  printf("put1 %d %d\n", cc, rc);

  MQDISC(&hconn, &cc, &rc);
  printf("disc %d %d hconn=%d\n", cc, rc, hconn);

  char bad[48]; memset(bad, 0, 48); strcpy(bad, "NOSUCHQM");
  MQLONG h2 = 0;
  MQCONN(bad, &h2, &cc, &rc);
  printf("conn_bad %d %d\n", cc, rc);
  return 0;
}
"#;

/// Handle scoping and structure validation (docs/reference/mqi.md#handle-scope, #struct-layouts), against the same
/// library.
const THREADS_C: &str = r#"
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/wait.h>
typedef int MQLONG;
void MQCONN(char *, MQLONG *, MQLONG *, MQLONG *);
void MQCONNX(char *, void *, MQLONG *, MQLONG *, MQLONG *);
void MQDISC(MQLONG *, MQLONG *, MQLONG *);
void MQOPEN(MQLONG, void *, MQLONG, MQLONG *, MQLONG *, MQLONG *);
void MQCLOSE(MQLONG, MQLONG *, MQLONG, MQLONG *, MQLONG *);
static char od[424];
static void od_init(void) { memset(od, 0, sizeof od); memcpy(od, "OD  ", 4); *(MQLONG *)(od + 4) = 1;
  *(MQLONG *)(od + 8) = 1; strcpy(od + 12, "SYSTEM.DEFAULT.LOCAL.QUEUE"); strcpy(od + 108, "AMQ.*"); }
static MQLONG shared_h;
static void *other(void *arg) {
  MQLONG h = *(MQLONG *)arg, hobj = 0, cc = 0, rc = 0;
  od_init(); MQOPEN(h, od, 0x10, &hobj, &cc, &rc);
  printf("%s %d %d\n", h == shared_h ? "thread_shared" : "thread_nonshared", cc, rc);
  if (cc == 0) MQCLOSE(h, &hobj, 0, &cc, &rc);
  return NULL;
}
int main(int argc, char **argv) {
  char qm[48]; memset(qm, 0, 48); strncpy(qm, argv[1], 48);
  MQLONG h1 = 0, h2 = 0, cc = 0, rc = 0, hobj = 0;
  MQCONN(qm, &h1, &cc, &rc); printf("conn1 %d %d\n", cc, rc);
  MQCONN(qm, &h2, &cc, &rc); printf("conn2 %d %d same=%d\n", cc, rc, h1 == h2);
  pthread_t t; pthread_create(&t, NULL, other, &h1); pthread_join(t, NULL);
  char cno[272]; memset(cno, 0, sizeof cno); memcpy(cno, "CNO ", 4); *(MQLONG *)(cno + 4) = 1;
  *(MQLONG *)(cno + 8) = 0x40; memset(cno + 224, ' ', 28);
  MQCONNX(qm, cno, &shared_h, &cc, &rc); printf("connx_shared %d %d\n", cc, rc);
  pthread_create(&t, NULL, other, &shared_h); pthread_join(t, NULL);
  od_init(); strcpy(od + 12, "SYSTEM.DEFAULT.MODEL.QUEUE");
  MQOPEN(h1, od, 0x4, &hobj, &cc, &rc); MQCLOSE(h1, &hobj, 1 /* MQCO_DELETE */, &cc, &rc);
  printf("close_delete_dyn %d %d hobj=%d\n", cc, rc, hobj);
  od_init(); MQOPEN(h1, od, 0x10, &hobj, &cc, &rc); MQCLOSE(h1, &hobj, 1, &cc, &rc);
  printf("close_delete_predef %d %d\n", cc, rc);
  MQCLOSE(h1, &hobj, 0, &cc, &rc);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) { MQLONG hh = 0, c2 = 0, r2 = 0; od_init(); MQOPEN(h1, od, 0x10, &hh, &c2, &r2);
    printf("fork_child %d %d\n", c2, r2); fflush(stdout); _exit(0); }
  waitpid(child, NULL, 0);
  od_init(); memcpy(od, "XX  ", 4); MQOPEN(h1, od, 0x10, &hobj, &cc, &rc); printf("bad_od %d %d\n", cc, rc);
  memcpy(cno, "CNX ", 4); MQLONG h3 = 0; MQCONNX(qm, cno, &h3, &cc, &rc); printf("bad_cno %d %d\n", cc, rc);
  MQDISC(&h1, &cc, &rc); printf("disc %d %d\n", cc, rc);
  MQDISC(&h1, &cc, &rc); printf("disc_again %d %d\n", cc, rc);
  return 0;
}
"#;

fn build_probe(sim: &Sim, dir: &Path) -> PathBuf {
    build_c(sim, dir, "probe", PROBE_C)
}

fn build_c(sim: &Sim, dir: &Path, name: &str, text: &str) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, text).unwrap();
    let exe = dir.join(name);
    let lib = sim.root.join("opt/mqm/lib64");
    let out = Command::new("gcc")
        .args(["-m64", "-Wall", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath={}", lib.display()))
        .args(["-lmqm_r", "-lpthread"])
        .output()
        .expect("gcc (apt-get install gcc)");
    assert!(out.status.success(), "gcc failed: {}", String::from_utf8_lossy(&out.stderr));
    exe
}

fn field<'a>(out: &'a str, step: &str) -> &'a str {
    out.lines().find(|l| l.starts_with(&format!("{step} "))).unwrap_or_else(|| panic!("no '{step}' line in:\n{out}"))
}

#[test]
fn c_program_drives_the_mqi_through_ibm_layouts() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let dir = tempfile::tempdir().unwrap();
    let probe = build_probe(&sim, dir.path());
    let o = sim.program(None, &probe, &["QM1"], "", &[], Duration::from_secs(30));
    assert_eq!(o.rc, 0, "{o:?}");
    let out = o.stdout;
    assert_eq!(field(&out, "connx"), "connx 0 0");
    assert_eq!(field(&out, "open_qmgr"), "open_qmgr 0 0");
    // MQCA_Q_MGR_NAME is blank-padded to 48; MQPL_UNIX = 3; 9.3.0.0 -> command level 930.
    assert_eq!(field(&out, "inq_qmgr"), format!("inq_qmgr 0 0 name=[QM1{}] platform=3 cmdlevel=930", " ".repeat(45)));
    let model = field(&out, "open_model");
    assert!(model.starts_with("open_model 0 0 dynq=[MQHA."), "{model}");
    assert!(model.contains(&format!("qmgr=[QM1{}]", " ".repeat(45))), "{model}");
    assert_eq!(field(&out, "inq_dyn"), "inq_dyn 0 0 deftype=3 depth=0");
    assert_eq!(field(&out, "put"), "put 0 0 msgid_set=1");
    assert_eq!(field(&out, "put_persistent"), "put_persistent 2 2048");
    assert_eq!(field(&out, "get"), "get 0 0 len=13 data=[probe-message] format=[MQSTR   ]");
    let empty = field(&out, "get_empty");
    assert!(empty.starts_with("get_empty 2 2033 waited_ms="), "{empty}");
    let waited: u64 = empty.rsplit('=').next().unwrap().parse().unwrap();
    assert!((450..3000).contains(&waited), "WaitInterval 500 ms not honoured: {waited} ms");
    assert_eq!(field(&out, "get_short"), "get_short 1 2080 len=10");
    assert_eq!(field(&out, "get_truncated"), "get_truncated 1 2079 len=10 data=[0123]");
    assert_eq!(field(&out, "get_after"), "get_after 2 2033");
    assert_eq!(field(&out, "get_expired"), "get_expired 2 2033", "an expired message must not be delivered");
    assert_eq!(field(&out, "close"), "close 0 0 hobj=-1");
    assert_eq!(field(&out, "open_unknown"), "open_unknown 2 2085");
    assert_eq!(field(&out, "put1"), "put1 0 0");
    assert_eq!(field(&out, "disc"), "disc 0 0 hconn=-1");
    assert_eq!(field(&out, "conn_bad"), "conn_bad 2 2058");
    // The temporary dynamic queue died with its handle; MQPUT1's message is there.
    let o = sim.runmqsc(&["-e", "QM1"], "DISPLAY QLOCAL(MQHA.*)\n");
    assert_eq!(o.rc, 10, "dynamic queue survived: {o:?}");
    let out = sim.mqsc_ok("QM1", "DISPLAY QLOCAL(SYSTEM.DEFAULT.LOCAL.QUEUE) CURDEPTH\n");
    assert!(out.contains("CURDEPTH(1)"), "{out}");
}

#[test]
fn stopped_queue_manager_is_2059_for_a_c_program() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let dir = tempfile::tempdir().unwrap();
    let probe = build_probe(&sim, dir.path());
    sim.ok("endmqm", &["-i", "QM1"]);
    sim.wait_status("QM1", "ENDED IMMEDIATELY", Duration::from_secs(10));
    let o = sim.program(None, &probe, &["QM1"], "", &[], Duration::from_secs(30));
    assert_eq!(o.rc, 1, "{o:?}");
    assert_eq!(field(&o.stdout, "connx"), "connx 2 2059");
}

#[test]
fn handles_are_thread_scoped_unless_shared_and_bad_structures_are_refused() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let dir = tempfile::tempdir().unwrap();
    let exe = build_c(&sim, dir.path(), "threads", THREADS_C);
    let o = sim.program(None, &exe, &["QM1"], "", &[], Duration::from_secs(30));
    assert_eq!(o.rc, 0, "{o:?}");
    let out = o.stdout;
    assert_eq!(field(&out, "conn1"), "conn1 0 0");
    // A second non-shared connect on the same thread: warning 2002 and the same handle.
    assert_eq!(field(&out, "conn2"), "conn2 1 2002 same=1");
    assert_eq!(field(&out, "thread_nonshared"), "thread_nonshared 2 2018");
    assert_eq!(field(&out, "connx_shared"), "connx_shared 0 0");
    assert_eq!(field(&out, "thread_shared"), "thread_shared 0 0");
    assert_eq!(field(&out, "close_delete_dyn"), "close_delete_dyn 0 0 hobj=-1");
    assert_eq!(field(&out, "close_delete_predef"), "close_delete_predef 2 2045");
    // MQI use in a child forked (without exec) after the parent used it: 2012 (docs/reference/mqi.md#fork).
    assert_eq!(field(&out, "fork_child"), "fork_child 2 2012");
    assert_eq!(field(&out, "bad_od"), "bad_od 2 2044");
    assert_eq!(field(&out, "bad_cno"), "bad_cno 2 2139");
    assert_eq!(field(&out, "disc"), "disc 0 0");
    assert_eq!(field(&out, "disc_again"), "disc_again 2 2018");
}

#[test]
fn every_symbol_of_libmqm_sys_dlopen2_wrapper_is_exported() {
    // docs/reference/mqi.md#dlopen2-required-symbols: MqWrapper's 26 required MQI functions; a loader fails if one is
    // missing.
    const SYMBOLS: [&str; 26] = [
        "MQBACK", "MQBEGIN", "MQBUFMH", "MQCB", "MQCLOSE", "MQCMIT", "MQCONN", "MQCONNX", "MQCRTMH", "MQCTL", "MQDISC",
        "MQDLTMH", "MQDLTMP", "MQGET", "MQINQ", "MQINQMP", "MQMHBUF", "MQOPEN", "MQPUT", "MQPUT1", "MQSET", "MQSETMP",
        "MQSTAT", "MQSUB", "MQSUBRQ", "MQXCNVC",
    ];
    let sim = Sim::install(&["--version", "9.3.0.0"]);
    for lib in ["libmqm_r.so", "libmqic_r.so"] {
        let path = std::ffi::CString::new(sim.root.join("opt/mqm/lib64").join(lib).to_str().unwrap()).unwrap();
        let h = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(!h.is_null(), "dlopen {lib} failed (build first: cargo build --workspace)");
        for s in SYMBOLS {
            let n = std::ffi::CString::new(s).unwrap();
            assert!(!unsafe { libc::dlsym(h, n.as_ptr()) }.is_null(), "{lib} lacks {s}");
        }
    }
}
