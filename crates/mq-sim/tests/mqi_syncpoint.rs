//! Units of work through the simulated MQI, bindings and client alike, as IBM documents them
//! (docs/reference/mqi.md#units-of-work): puts and gets under syncpoint are seen by no one else
//! until MQCMIT, MQBACK undoes them (BackoutCount + 1 on reinstated gets), a normal MQDISC
//! commits, the end of an application without MQDISC backs out, a restart or crash of the queue
//! manager backs out what was open while committed persistent messages survive, MAXUMSGS limits a
//! unit of work, and a commit that cannot be logged is backed out (2003). The test process itself
//! is the MQI application (the installation's libmqm_r.so, dlopened by mq-core's loader); the
//! application that ends without MQDISC is this test binary re-run as a child. Run as root.

use libmqm_sys as mq;
use mq_core::mqi::{
    mqcd_client_conn_default, mqcno_default, mqgmo_default, mqmd_default, mqod_default, mqpmo_default, put_chars,
    Failure, Mqi,
};
use mq_testkit::*;
use std::process::{Command, Stdio};
use std::time::Duration;

const QM: &str = "QM1";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Bindings,
    Client(u16),
}

/// QM1 with queue Q (and, for clients, a listener and a channel running as mqm).
fn setup(client: bool) -> (Sim, Mode) {
    let sim = Sim::started("9.3.0.0", QM);
    sim.mqsc_ok(QM, "DEFINE QLOCAL(Q) DEFPSIST(NO)\nDEFINE QLOCAL(Q2)\n");
    if !client {
        return (sim, Mode::Bindings);
    }
    let port = free_port();
    sim.mqsc_ok(
        QM,
        &format!(
            "DEFINE LISTENER(L1) TRPTYPE(TCP) PORT({port}) IPADDR(127.0.0.1) CONTROL(QMGR)\nSTART LISTENER(L1)\n\
             DEFINE CHANNEL(APP.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP) MCAUSER('mqm')\n\
             ALTER QMGR CHLAUTH(DISABLED)\n\
             ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)\n\
             REFRESH SECURITY TYPE(CONNAUTH)\n"
        ),
    );
    eventually(&format!("the listener to bind {port}"), Duration::from_secs(10), || port_open(port));
    (sim, Mode::Client(port))
}

fn depth(sim: &Sim, q: &str) -> u32 {
    let out = sim.mqsc_ok(QM, &format!("DISPLAY QLOCAL({q}) CURDEPTH\n"));
    out.split("CURDEPTH(").nth(1).and_then(|s| s.split(')').next()).and_then(|d| d.parse().ok()).expect("CURDEPTH")
}

/// One MQI connection of this process.
struct App {
    mqi: Mqi,
    h: mq::MQHCONN,
}

fn reason(r: Result<(), Failure>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(f) => f.reason,
    }
}

impl App {
    fn connect(sim: &Sim, mode: Mode) -> App {
        App::connect_at(&sim.inst(), mode)
    }

    fn connect_at(inst: &std::path::Path, mode: Mode) -> App {
        let mqi = Mqi::load(&inst.join("lib64/libmqm_r.so")).expect("load libmqm_r.so");
        let mut name: mq::MQCHAR48 = [0; 48];
        put_chars(&mut name, QM);
        let mut cno = mqcno_default();
        let mut cd = Box::new(mqcd_client_conn_default());
        if let Mode::Client(port) = mode {
            put_chars(&mut cd.ChannelName, "APP.SVRCONN");
            put_chars(&mut cd.ConnectionName, &format!("127.0.0.1({port})"));
            cno.Version = mq::MQCNO_VERSION_2;
            // Shared handles: the test's connections are used from one thread, but several exist.
            cno.Options = mq::MQCNO_CLIENT_BINDING | mq::MQCNO_HANDLE_SHARE_BLOCK;
            cno.ClientConnPtr = (&mut *cd as *mut mq::MQCD).cast();
        } else {
            cno.Options = mq::MQCNO_HANDLE_SHARE_BLOCK;
        }
        let h = mqi.connx(&mut name, &mut cno).unwrap_or_else(|f| panic!("MQCONNX ({mode:?}): {f:?}"));
        App { mqi, h }
    }

    fn open(&self, q: &str) -> mq::MQHOBJ {
        let mut od = mqod_default();
        put_chars(&mut od.ObjectName, q);
        self.mqi
            .open(self.h, &mut od, mq::MQOO_OUTPUT | mq::MQOO_INPUT_SHARED | mq::MQOO_BROWSE)
            .unwrap_or_else(|f| panic!("MQOPEN {q}: {f:?}"))
    }

    fn put(&self, hobj: mq::MQHOBJ, text: &str, options: i32, persistent: bool) -> Result<(), Failure> {
        let mut md = mqmd_default();
        md.Persistence = if persistent { mq::MQPER_PERSISTENT } else { mq::MQPER_NOT_PERSISTENT };
        let mut pmo = mqpmo_default();
        pmo.Options = options;
        self.mqi.put(self.h, hobj, &mut md, &mut pmo, &mut text.as_bytes().to_vec())
    }

    /// (text, BackoutCount), or the reason (2033 when there is none).
    fn get(&self, hobj: mq::MQHOBJ, options: i32) -> Result<(String, i32), i32> {
        let mut md = mqmd_default();
        let mut gmo = mqgmo_default();
        gmo.Options = options;
        let mut buf = vec![0u8; 256];
        let n = self.mqi.get(self.h, hobj, &mut md, &mut gmo, &mut buf).map_err(|f| f.reason)?;
        Ok((String::from_utf8_lossy(&buf[..n]).into_owned(), md.BackoutCount))
    }

    fn text(&self, hobj: mq::MQHOBJ, options: i32) -> Result<String, i32> {
        self.get(hobj, options).map(|(t, _)| t)
    }

    fn commit(&self) -> i32 {
        reason(self.mqi.cmit(self.h))
    }

    fn back(&self) -> i32 {
        reason(self.mqi.back(self.h))
    }

    fn disc(mut self) -> i32 {
        reason(self.mqi.disc(&mut self.h))
    }
}

const SYNC_PUT: i32 = mq::MQPMO_SYNCPOINT;
const NOSYNC_PUT: i32 = mq::MQPMO_NO_SYNCPOINT;
const SYNC_GET: i32 = mq::MQGMO_SYNCPOINT;
const NOSYNC_GET: i32 = mq::MQGMO_NO_SYNCPOINT;
const NO_MSG: Result<String, i32> = Err(mq::MQRC_NO_MSG_AVAILABLE);

type Put1Fn = unsafe extern "C" fn(
    mq::MQHCONN,
    *mut mq::MQOD,
    *mut mq::MQMD,
    *mut mq::MQPMO,
    mq::MQLONG,
    *mut u8,
    *mut mq::MQLONG,
    *mut mq::MQLONG,
);

/// MQPUT1 (not among mq-core's verbs): the same library, dlopened again, gives the same handle.
fn put1(sim: &Sim, h: mq::MQHCONN, od: &mut mq::MQOD, md: &mut mq::MQMD, pmo: &mut mq::MQPMO, data: &[u8]) -> i32 {
    let path =
        std::ffi::CString::new(sim.inst().join("lib64/libmqm_r.so").into_os_string().into_encoded_bytes()).unwrap();
    let mut data = data.to_vec();
    let (mut cc, mut rc) = (-1, -1);
    // SAFETY: MQPUT1's prototype (docs/reference/mqi.md#c-prototypes); live, laid-out arguments.
    unsafe {
        let lib = libc::dlopen(path.as_ptr(), libc::RTLD_NOW);
        assert!(!lib.is_null());
        let f = libc::dlsym(lib, c"MQPUT1".as_ptr());
        assert!(!f.is_null());
        let f: Put1Fn = std::mem::transmute(f);
        f(h, od, md, pmo, data.len() as i32, data.as_mut_ptr(), &mut cc, &mut rc);
    }
    rc
}

fn puts_and_gets_under_syncpoint(mode_client: bool) {
    let (sim, mode) = setup(mode_client);
    let a = App::connect(&sim, mode);
    let b = App::connect(&sim, mode);
    let (qa, qb) = (a.open("Q"), b.open("Q"));

    // An uncommitted put: counted in CURDEPTH, got by no one (its own connection included),
    // browsed by no one.
    assert_eq!(reason(a.put(qa, "one", SYNC_PUT, false)), 0);
    assert_eq!(depth(&sim, "Q"), 1, "CURDEPTH counts uncommitted puts");
    assert_eq!(b.text(qb, NOSYNC_GET), NO_MSG);
    assert_eq!(a.text(qa, NOSYNC_GET), NO_MSG);
    assert_eq!(b.text(qb, mq::MQGMO_BROWSE_FIRST), NO_MSG);
    // MQCMIT makes it available.
    assert_eq!(a.commit(), 0);
    assert_eq!(b.text(qb, NOSYNC_GET).as_deref(), Ok("one"));

    // MQBACK removes an uncommitted put.
    assert_eq!(reason(a.put(qa, "gone", SYNC_PUT, false)), 0);
    assert_eq!(a.back(), 0);
    assert_eq!(depth(&sim, "Q"), 0);
    assert_eq!(b.text(qb, NOSYNC_GET), NO_MSG);

    // An uncommitted get: off CURDEPTH, invisible to others; MQBACK reinstates it, first in
    // line again, with BackoutCount 1.
    assert_eq!(reason(a.put(qa, "m1", NOSYNC_PUT, false)), 0);
    assert_eq!(reason(a.put(qa, "m2", NOSYNC_PUT, false)), 0);
    assert_eq!(a.get(qa, SYNC_GET), Ok(("m1".into(), 0)));
    assert_eq!(depth(&sim, "Q"), 1, "CURDEPTH excludes uncommitted gets");
    assert_eq!(b.text(qb, mq::MQGMO_BROWSE_FIRST).as_deref(), Ok("m2"));
    assert_eq!(a.back(), 0);
    assert_eq!(depth(&sim, "Q"), 2);
    assert_eq!(b.get(qb, SYNC_GET), Ok(("m1".into(), 1)), "backed-out get: BackoutCount + 1");
    // A committed get is final.
    assert_eq!(b.commit(), 0);
    assert_eq!(a.text(qa, NOSYNC_GET).as_deref(), Ok("m2"));
    assert_eq!(depth(&sim, "Q"), 0);

    // Neither option: outside any unit of work (every platform but z/OS); both: 2046.
    assert_eq!(reason(a.put(qa, "plain", 0, false)), 0);
    assert_eq!(b.text(qb, 0).as_deref(), Ok("plain"));
    assert_eq!(b.back(), 0, "nothing to back out: the get was final");
    assert_eq!(depth(&sim, "Q"), 0);
    assert_eq!(reason(a.put(qa, "x", SYNC_PUT | NOSYNC_PUT, false)), mq::MQRC_OPTIONS_ERROR);
    assert_eq!(a.text(qa, SYNC_GET | NOSYNC_GET), Err(mq::MQRC_OPTIONS_ERROR));

    // MQPUT1 under syncpoint, and a unit of work spanning two queues.
    let mut od = mqod_default();
    put_chars(&mut od.ObjectName, "Q2");
    let (mut md, mut pmo) = (mqmd_default(), mqpmo_default());
    pmo.Options = SYNC_PUT;
    assert_eq!(put1(&sim, a.h, &mut od, &mut md, &mut pmo, b"put1"), 0);
    assert_eq!(reason(a.put(qa, "q", SYNC_PUT, false)), 0);
    let q2 = b.open("Q2");
    assert_eq!(b.text(q2, NOSYNC_GET), NO_MSG);
    assert_eq!(a.commit(), 0);
    assert_eq!(b.text(q2, NOSYNC_GET).as_deref(), Ok("put1"));
    assert_eq!(b.text(qb, NOSYNC_GET).as_deref(), Ok("q"));

    // A normal MQDISC commits the unit of work.
    assert_eq!(reason(a.put(qa, "at disc", SYNC_PUT, false)), 0);
    assert_eq!(a.disc(), 0);
    assert_eq!(b.text(qb, NOSYNC_GET).as_deref(), Ok("at disc"));
}

#[test]
fn puts_and_gets_under_syncpoint_bindings() {
    puts_and_gets_under_syncpoint(false);
}

#[test]
fn puts_and_gets_under_syncpoint_client() {
    puts_and_gets_under_syncpoint(true);
}

/// A restart or a crash backs out every open unit of work: the persistent message a unit of work
/// got is back (the log never saw it go), the one it put is not (never logged); committed
/// persistent messages survive and non-persistent ones are gone.
fn restart_backs_out(crash: bool) {
    let (sim, mode) = setup(true);
    let a = App::connect(&sim, mode);
    let (qa, qa2) = (a.open("Q"), a.open("Q2"));
    assert_eq!(reason(a.put(qa, "committed", SYNC_PUT, true)), 0);
    assert_eq!(a.commit(), 0);
    assert_eq!(reason(a.put(qa, "kept", NOSYNC_PUT, true)), 0);
    assert_eq!(reason(a.put(qa2, "volatile", NOSYNC_PUT, false)), 0);
    // Now open: a persistent get and a persistent put.
    assert_eq!(a.text(qa, SYNC_GET).as_deref(), Ok("committed"));
    assert_eq!(reason(a.put(qa, "uncommitted", SYNC_PUT, true)), 0);
    assert_eq!((depth(&sim, "Q"), depth(&sim, "Q2")), (2, 1), "kept + the uncommitted put; volatile");
    if crash {
        sim.crash(QM, false);
        sim.wait_status(QM, "ENDED UNEXPECTEDLY", Duration::from_secs(10));
    } else {
        sim.ok("endmqm", &["-i", QM]);
    }
    sim.ok("strmqm", &[QM]);
    assert_eq!((depth(&sim, "Q"), depth(&sim, "Q2")), (2, 0), "the reinstated get and the committed message");
    let b = App::connect(&sim, mode);
    let qb = b.open("Q");
    assert_eq!(b.text(qb, NOSYNC_GET).as_deref(), Ok("committed"));
    assert_eq!(b.text(qb, NOSYNC_GET).as_deref(), Ok("kept"));
    assert_eq!(b.text(qb, NOSYNC_GET), NO_MSG, "the uncommitted put did not survive");
    // The old connection is gone with the queue manager that had it.
    assert_ne!(a.commit(), 0);
}

#[test]
fn immediate_end_backs_out_open_units_of_work() {
    restart_backs_out(false);
}

#[test]
fn crash_backs_out_open_units_of_work() {
    restart_backs_out(true);
}

#[test]
fn maxumsgs_limits_a_unit_of_work() {
    let (sim, mode) = setup(false);
    sim.mqsc_ok(QM, "ALTER QMGR MAXUMSGS(2)\n");
    let a = App::connect(&sim, mode);
    let qa = a.open("Q");
    assert_eq!(reason(a.put(qa, "1", SYNC_PUT, false)), 0);
    assert_eq!(reason(a.put(qa, "2", SYNC_PUT, false)), 0);
    assert_eq!(reason(a.put(qa, "3", SYNC_PUT, false)), mq::MQRC_SYNCPOINT_LIMIT_REACHED);
    assert_eq!(reason(a.put(qa, "outside", NOSYNC_PUT, false)), 0, "outside a unit of work: no limit");
    assert_eq!(a.text(qa, SYNC_GET), Err(mq::MQRC_SYNCPOINT_LIMIT_REACHED));
    assert_eq!(a.commit(), 0);
    assert_eq!(reason(a.put(qa, "3", SYNC_PUT, false)), 0);
    assert_eq!(a.commit(), 0);
    assert_eq!(depth(&sim, "Q"), 4);
}

#[test]
fn commit_that_cannot_be_logged_is_backed_out() {
    let (sim, mode) = setup(false);
    let a = App::connect(&sim, mode);
    let qa = a.open("Q");
    assert_eq!(reason(a.put(qa, "p", SYNC_PUT, true)), 0);
    sim.fault(QM, "log-full", None);
    let r = a.mqi.cmit(a.h);
    assert_eq!(r, Err(Failure { verb: "MQCMIT", cc: mq::MQCC_WARNING, reason: mq::MQRC_BACKED_OUT }));
    sim.clear_fault(QM, "log-full");
    assert_eq!(depth(&sim, "Q"), 0);
}

/// The re-run test binary as an application: gets one message and puts one, both under
/// syncpoint, says so in a file, then ends as told without MQDISC.
#[test]
#[ignore = "the child application of child_ends_without_mqdisc, not a test"]
fn uow_child_application() {
    let Ok(spec) = std::env::var("MQSIM_UOW_CHILD") else { return };
    let mut it = spec.split('|');
    let (inst, port, ready, how) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
    let mode = if port == "0" { Mode::Bindings } else { Mode::Client(port.parse().unwrap()) };
    let a = App::connect_at(std::path::Path::new(inst), mode);
    let qa = a.open("Q");
    assert_eq!(a.text(qa, SYNC_GET).as_deref(), Ok("committed"));
    assert_eq!(reason(a.put(qa, "uncommitted", SYNC_PUT, true)), 0);
    std::fs::write(ready, "ready").unwrap();
    // Until the parent says "go" (exit) or kills it (kill); at most a minute either way.
    let go = std::path::PathBuf::from(format!("{ready}.go"));
    for _ in 0..600 {
        if how == "exit" && go.exists() {
            // A normal end of the process without MQDISC: IBM backs the unit of work out.
            std::process::exit(0);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn child_ends_without_mqdisc(client: bool, how: &str) {
    let (sim, mode) = setup(client);
    let a = App::connect(&sim, mode);
    let qa = a.open("Q");
    assert_eq!(reason(a.put(qa, "committed", NOSYNC_PUT, true)), 0);
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let port = if let Mode::Client(p) = mode { p } else { 0 };
    let mut child = Spawned::start(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "uow_child_application", "--ignored", "--nocapture", "--test-threads", "1"])
            .env("MQSIM_UOW_CHILD", format!("{}|{port}|{}|{how}", sim.inst().display(), ready.display()))
            .env_remove("LD_LIBRARY_PATH")
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    eventually("the child to get and put under syncpoint", Duration::from_secs(20), || ready.exists());
    assert_eq!(depth(&sim, "Q"), 1, "the uncommitted put counts, the uncommitted get does not");
    assert_eq!(a.text(qa, NOSYNC_GET), NO_MSG, "nothing visible while the child's unit of work is open");
    if how == "kill" {
        child.kill();
    } else {
        std::fs::write(dir.path().join("ready.go"), "").unwrap();
        assert_eq!(child.wait_within(Duration::from_secs(20)), Some(0));
    }
    let got = eventually("the child's unit of work to be backed out", Duration::from_secs(10), || {
        a.get(qa, NOSYNC_GET).map_err(|r| format!("MQGET reason {r}"))
    });
    assert_eq!(got, ("committed".to_string(), 1), "reinstated with BackoutCount 1");
    assert_eq!(a.text(qa, NOSYNC_GET), NO_MSG, "the uncommitted put is gone");
    assert_eq!(depth(&sim, "Q"), 0);
}

#[test]
fn application_killed_without_mqdisc_is_backed_out_bindings() {
    child_ends_without_mqdisc(false, "kill");
}

#[test]
fn application_killed_without_mqdisc_is_backed_out_client() {
    child_ends_without_mqdisc(true, "kill");
}

#[test]
fn application_exiting_without_mqdisc_is_backed_out() {
    child_ends_without_mqdisc(false, "exit");
}
