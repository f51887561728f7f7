//! mqload: a load client for failover tests. It loads an installation's MQI library at run time
//! (`DIR/lib64/libmqm_r.so`, dlopen, as any MQ application does; mq-core's loader and structure
//! defaults), connects as an MQ CLIENT (MQCNO + MQCD: channel and CONNAME) and reconnects on its
//! own after a failure, with a bounded backoff.
//!
//! - `produce` puts numbered PERSISTENT messages 1..N, each under syncpoint and committed; a
//!   number is acknowledged only when its MQCMIT returned MQCC_OK, then the next is put. A failed
//!   put or commit is retried with the same number after a reconnect.
//! - `consume` gets under syncpoint and journals a number as delivered only after its MQCMIT
//!   returned MQCC_OK.
//! - `report` compares the two journals (optionally draining what is left on the queue first):
//!   lost = acknowledged but never delivered, duplicated = delivered more than once; and the
//!   client outage around a fault time.
//! - `now` prints the clock the journals use (CLOCK_MONOTONIC in ms), for `report --fault-at`.
//!
//! In-doubt outcome: when MQCMIT fails with anything but MQRC_BACKED_OUT (typically 2009, the
//! connection broke during the commit), the client cannot know whether the queue manager
//! committed. The producer journals `indoubt N` and puts N again (at-least-once): if the first
//! commit had in fact completed, N is on the queue twice and the report counts it as duplicated
//! (and names it in-doubt); such a duplicate alone does not fail the report (exit 0), any other
//! duplicate does. Likewise a consumer's in-doubt commit of N: if it had completed, N is gone but
//! never journaled as delivered, and the report counts it lost (and names it in-doubt): a failure.
//!
//! Everything is bounded: `--seconds` ends produce/consume, each wait is at most 1 s, reconnects
//! back off from 100 ms to 2 s, and a watchdog ends the process 15 s after its deadline (or 5 s
//! after SIGTERM) if an MQI call is stuck (a hung queue manager blocks MQI calls).

use libmqm_sys as mq;
use mq_core::mqi::{
    mqcd_client_conn_default, mqcno_default, mqgmo_default, mqmd_default, mqod_default, mqpmo_default, put_chars,
    Failure, Mqi,
};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const USAGE: &str = "usage:
  mqload produce --mq-installation DIR --qmgr QM --channel CH --conn 'HOST(PORT)' --queue Q
                 --count N --seconds S --journal FILE [--rate R]
  mqload consume --mq-installation DIR --qmgr QM --channel CH --conn 'HOST(PORT)' --queue Q
                 --seconds S --journal FILE
  mqload report  --produced FILE --consumed FILE [--fault-at MS]
                 [--drain --mq-installation DIR --qmgr QM --channel CH --conn 'HOST(PORT)' --queue Q
                  [--drain-seconds S]]
  mqload now     (prints the journals' clock: CLOCK_MONOTONIC in ms)";

/// Largest --count: a failover test's load, not a benchmark's.
const MAX_COUNT: u64 = 10_000_000;
const MAX_SECONDS: u64 = 24 * 3600;
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How long a stuck MQI call may outlive the deadline before the watchdog ends the process.
const WATCHDOG_GRACE_MS: u64 = 15_000;
const TERM_GRACE_MS: u64 = 5_000;
const BODY_PREFIX: &str = "mqload ";

static TERM: AtomicBool = AtomicBool::new(false);

extern "C" fn on_term(_sig: libc::c_int) {
    TERM.store(true, Ordering::SeqCst);
}

/// CLOCK_MONOTONIC in ms: one clock for every journal on this machine (network namespaces share it).
fn now_ms() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "produce" => Opts::parse(&args[1..]).and_then(|o| produce(&o)),
        "consume" => Opts::parse(&args[1..]).and_then(|o| consume(&o)),
        "report" => Opts::parse(&args[1..]).and_then(|o| report(&o)),
        "now" => {
            println!("{}", now_ms());
            Ok(0)
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(0)
        }
        other => Err(format!("unknown command {other:?} (produce, consume, report or now)")),
    };
    match result {
        Ok(rc) => ExitCode::from(rc),
        Err(e) => {
            eprintln!("mqload {cmd}: {e}");
            ExitCode::from(2)
        }
    }
}

#[derive(Default, Debug)]
struct Opts {
    installation: Option<PathBuf>,
    qmgr: Option<String>,
    channel: Option<String>,
    conn: Option<String>,
    queue: Option<String>,
    count: Option<u64>,
    seconds: Option<u64>,
    journal: Option<PathBuf>,
    rate: Option<f64>,
    produced: Option<PathBuf>,
    consumed: Option<PathBuf>,
    fault_at: Option<u64>,
    drain: bool,
    drain_seconds: Option<u64>,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{flag}: not a number: {v:?}"))
}

/// An MQ object name field: 1..=max characters, no NUL.
fn mq_name(flag: &str, v: &str, max: usize) -> Result<String, String> {
    if v.is_empty() || v.len() > max || v.contains('\0') {
        return Err(format!("{flag}: {v:?} must be 1 to {max} characters without NUL"));
    }
    Ok(v.to_string())
}

impl Opts {
    fn parse(args: &[String]) -> Result<Opts, String> {
        let mut o = Opts::default();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if flag == "--drain" {
                o.drain = true;
                continue;
            }
            let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--mq-installation" => o.installation = Some(PathBuf::from(v)),
                "--qmgr" => o.qmgr = Some(mq_name(flag, v, 48)?),
                "--channel" => o.channel = Some(mq_name(flag, v, 20)?),
                "--conn" => o.conn = Some(mq_name(flag, v, 264)?),
                "--queue" => o.queue = Some(mq_name(flag, v, 48)?),
                "--count" => {
                    let n: u64 = number(flag, v)?;
                    if !(1..=MAX_COUNT).contains(&n) {
                        return Err(format!("--count {n}: must be 1 to {MAX_COUNT}"));
                    }
                    o.count = Some(n);
                }
                "--seconds" | "--drain-seconds" => {
                    let n: u64 = number(flag, v)?;
                    if !(1..=MAX_SECONDS).contains(&n) {
                        return Err(format!("{flag} {n}: must be 1 to {MAX_SECONDS}"));
                    }
                    if flag == "--seconds" {
                        o.seconds = Some(n);
                    } else {
                        o.drain_seconds = Some(n);
                    }
                }
                "--rate" => {
                    let r: f64 = number(flag, v)?;
                    if !(r.is_finite() && r > 0.0 && r <= 100_000.0) {
                        return Err(format!("--rate {v}: must be above 0 and at most 100000 messages a second"));
                    }
                    o.rate = Some(r);
                }
                "--journal" => o.journal = Some(PathBuf::from(v)),
                "--produced" => o.produced = Some(PathBuf::from(v)),
                "--consumed" => o.consumed = Some(PathBuf::from(v)),
                "--fault-at" => o.fault_at = Some(number(flag, v)?),
                other => return Err(format!("unknown option {other:?}\n{USAGE}")),
            }
        }
        Ok(o)
    }

    fn need<'a, T>(v: &'a Option<T>, flag: &str) -> Result<&'a T, String> {
        v.as_ref().ok_or_else(|| format!("{flag} is required"))
    }

    fn target(&self) -> Result<Target, String> {
        let dir = Self::need(&self.installation, "--mq-installation")?;
        let lib = dir.join("lib64/libmqm_r.so");
        if !lib.is_file() {
            return Err(format!("--mq-installation {}: no MQI library at {}", dir.display(), lib.display()));
        }
        Ok(Target {
            lib,
            qmgr: Self::need(&self.qmgr, "--qmgr")?.clone(),
            channel: Self::need(&self.channel, "--channel")?.clone(),
            conn: Self::need(&self.conn, "--conn")?.clone(),
            queue: Self::need(&self.queue, "--queue")?.clone(),
        })
    }
}

struct Target {
    lib: PathBuf,
    qmgr: String,
    channel: String,
    conn: String,
    queue: String,
}

/// The journal: one line per event, `<monotonic ms> <event> ...`, written straight through.
#[derive(Clone)]
struct Journal(Arc<Mutex<std::fs::File>>);

impl Journal {
    fn create(path: &Path) -> Result<Journal, String> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("--journal {}: {e}", path.display()))?;
        Ok(Journal(Arc::new(Mutex::new(f))))
    }

    fn line(&self, event: &str) {
        let mut f = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // A journal that cannot be written makes the run meaningless: say so, keep going bounded.
        if let Err(e) = writeln!(f, "{} {event}", now_ms()) {
            eprintln!("mqload: journal write failed: {e}");
        }
    }
}

/// Ends the process if the main loop is stuck in an MQI call past its deadline (or after SIGTERM).
fn watchdog(journal: Journal, deadline_ms: u64) {
    std::thread::spawn(move || {
        let mut term_seen: Option<u64> = None;
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let now = now_ms();
            if TERM.load(Ordering::SeqCst) && term_seen.is_none() {
                term_seen = Some(now);
            }
            let stuck = now > deadline_ms + WATCHDOG_GRACE_MS || term_seen.is_some_and(|t| now > t + TERM_GRACE_MS);
            if stuck {
                journal.line("abort an MQI call did not return in time");
                eprintln!("mqload: an MQI call did not return in time; ending");
                std::process::exit(3);
            }
        }
    });
}

fn install_signals() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    // SA_RESTART: the MQI library's socket reads are not broken by the signal; the loop checks TERM.
    let act = SigAction::new(SigHandler::Handler(on_term), SaFlags::SA_RESTART, SigSet::empty());
    for s in [Signal::SIGTERM, Signal::SIGINT] {
        // SAFETY: the handler only stores to an atomic.
        let _ = unsafe { sigaction(s, &act) };
    }
}

/// One client connection with the queue open.
struct Client<'a> {
    mqi: &'a Mqi,
    t: &'a Target,
    open_options: i32,
    hconn: Option<mq::MQHCONN>,
    hobj: mq::MQHOBJ,
}

impl<'a> Client<'a> {
    fn new(mqi: &'a Mqi, t: &'a Target, open_options: i32) -> Client<'a> {
        Client { mqi, t, open_options, hconn: None, hobj: mq::MQHO_UNUSABLE_HOBJ }
    }

    fn connected(&self) -> bool {
        self.hconn.is_some()
    }

    fn connect(&mut self) -> Result<(), Failure> {
        let mut name: mq::MQCHAR48 = [0; 48];
        put_chars(&mut name, &self.t.qmgr);
        let mut cno = mqcno_default();
        // Boxed: MQCONNX reads the MQCD through the pointer.
        let mut cd = Box::new(mqcd_client_conn_default());
        put_chars(&mut cd.ChannelName, &self.t.channel);
        put_chars(&mut cd.ConnectionName, &self.t.conn);
        cno.Version = mq::MQCNO_VERSION_2;
        cno.Options = mq::MQCNO_CLIENT_BINDING;
        cno.ClientConnPtr = (&mut *cd as *mut mq::MQCD).cast();
        let h = self.mqi.connx(&mut name, &mut cno)?;
        self.hconn = Some(h);
        let mut od = mqod_default();
        put_chars(&mut od.ObjectName, &self.t.queue);
        match self.mqi.open(h, &mut od, self.open_options | mq::MQOO_FAIL_IF_QUIESCING) {
            Ok(o) => {
                self.hobj = o;
                Ok(())
            }
            Err(f) => {
                self.drop_connection();
                Err(f)
            }
        }
    }

    fn hconn(&self) -> mq::MQHCONN {
        self.hconn.unwrap_or(mq::MQHC_UNUSABLE_HCONN)
    }

    /// After a failure: back out whatever the unit of work holds (a normal MQDISC would commit
    /// it), then disconnect. Errors are expected here (the connection is usually gone).
    fn drop_connection(&mut self) {
        if let Some(mut h) = self.hconn.take() {
            let _ = self.mqi.back(h);
            if self.hobj != mq::MQHO_UNUSABLE_HOBJ {
                let _ = self.mqi.close(h, &mut self.hobj, mq::MQCO_NONE);
            }
            let _ = self.mqi.disc(&mut h);
        }
        self.hobj = mq::MQHO_UNUSABLE_HOBJ;
    }

    fn put(&self, n: u64) -> Result<(), Failure> {
        let mut md = mqmd_default();
        md.Persistence = mq::MQPER_PERSISTENT;
        for (d, s) in md.Format.iter_mut().zip(b"MQSTR   ") {
            *d = *s as mq::MQCHAR;
        }
        let mut pmo = mqpmo_default();
        pmo.Options = mq::MQPMO_SYNCPOINT | mq::MQPMO_NEW_MSG_ID | mq::MQPMO_FAIL_IF_QUIESCING;
        let mut body = format!("{BODY_PREFIX}{n}").into_bytes();
        self.mqi.put(self.hconn(), self.hobj, &mut md, &mut pmo, &mut body)
    }

    /// Ok(None): no message within `wait`.
    fn get(&self, wait: Duration) -> Result<Option<Vec<u8>>, Failure> {
        let mut md = mqmd_default();
        let mut gmo = mqgmo_default();
        gmo.Options = mq::MQGMO_WAIT | mq::MQGMO_SYNCPOINT | mq::MQGMO_FAIL_IF_QUIESCING;
        gmo.WaitInterval = wait.as_millis().min(i32::MAX as u128) as i32;
        let mut buf = vec![0u8; 1024];
        match self.mqi.get(self.hconn(), self.hobj, &mut md, &mut gmo, &mut buf) {
            Ok(n) => {
                buf.truncate(n);
                Ok(Some(buf))
            }
            Err(f) if f.reason == mq::MQRC_NO_MSG_AVAILABLE => Ok(None),
            Err(f) => Err(f),
        }
    }

    fn commit(&self) -> Result<(), Failure> {
        self.mqi.cmit(self.hconn())
    }
}

impl Drop for Client<'_> {
    fn drop(&mut self) {
        if let Some(mut h) = self.hconn.take() {
            if self.hobj != mq::MQHO_UNUSABLE_HOBJ {
                let _ = self.mqi.close(h, &mut self.hobj, mq::MQCO_NONE);
            }
            let _ = self.mqi.disc(&mut h);
        }
    }
}

fn load(t: &Target) -> Result<Mqi, String> {
    Mqi::load(&t.lib).map_err(|e| format!("cannot load {}: {e}", t.lib.display()))
}

/// Sleeps `d`, but not past `until_ms`, and not on after SIGTERM.
fn nap(d: Duration, until_ms: u64) {
    let end = (now_ms() + d.as_millis() as u64).min(until_ms);
    while now_ms() < end && !TERM.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20).min(Duration::from_millis(end.saturating_sub(now_ms()))));
    }
}

/// Connects if needed; on failure journals it and backs off. Returns whether connected.
fn ensure_connected(c: &mut Client, j: &Journal, backoff: &mut Duration, deadline: u64, n: u64) -> bool {
    if c.connected() {
        return true;
    }
    match c.connect() {
        Ok(()) => {
            j.line("connect ok");
            *backoff = BACKOFF_MIN;
            true
        }
        Err(f) => {
            j.line(&format!("fail {n} {} {}", f.verb, f.reason));
            nap(*backoff, deadline);
            *backoff = (*backoff * 2).min(BACKOFF_MAX);
            false
        }
    }
}

/// What produce and consume begin with: the target, the journal, the MQI library loaded, signals
/// caught, the deadline --seconds from now and its watchdog, and the journal's first line.
struct Session {
    t: Target,
    journal: Journal,
    mqi: Mqi,
    start: u64,
    deadline: u64,
}

impl Session {
    fn begin(o: &Opts, what: &str) -> Result<Session, String> {
        let t = o.target()?;
        let seconds = *Opts::need(&o.seconds, "--seconds")?;
        let journal = Journal::create(Opts::need(&o.journal, "--journal")?)?;
        let mqi = load(&t)?;
        install_signals();
        let start = now_ms();
        let deadline = start + seconds * 1000;
        watchdog(journal.clone(), deadline);
        journal.line(&format!("start {what} seconds={seconds} queue={}", t.queue));
        Ok(Session { t, journal, mqi, start, deadline })
    }
}

fn produce(o: &Opts) -> Result<u8, String> {
    let count = *Opts::need(&o.count, "--count")?;
    let Session { t, journal, mqi, start, deadline } = Session::begin(o, &format!("produce count={count}"))?;
    let mut c = Client::new(&mqi, &t, mq::MQOO_OUTPUT);
    let mut backoff = BACKOFF_MIN;
    let mut n = 1u64;
    let mut next_due = start as f64;
    let mut acked = 0u64;
    while n <= count && now_ms() < deadline && !TERM.load(Ordering::SeqCst) {
        if !ensure_connected(&mut c, &journal, &mut backoff, deadline, n) {
            continue;
        }
        if o.rate.is_some() {
            // The next put is due 1/R after the previous one; after an outage the load resumes
            // at its rate instead of bursting to catch up.
            let now = now_ms() as f64;
            if now > next_due + 1000.0 {
                next_due = now;
            }
            if next_due > now {
                nap(Duration::from_millis((next_due - now) as u64), deadline);
                if now_ms() >= deadline || TERM.load(Ordering::SeqCst) {
                    break;
                }
            }
        }
        if let Err(f) = c.put(n) {
            journal.line(&format!("fail {n} {} {}", f.verb, f.reason));
            c.drop_connection();
            continue;
        }
        match c.commit() {
            Ok(()) => {
                journal.line(&format!("ack {n}"));
                acked += 1;
                n += 1;
                if let Some(r) = o.rate {
                    next_due += 1000.0 / r;
                }
            }
            Err(f) if f.reason == mq::MQRC_BACKED_OUT => {
                journal.line(&format!("fail {n} {} {}", f.verb, f.reason));
                c.drop_connection();
            }
            Err(f) => {
                journal.line(&format!("indoubt {n} {} {}", f.verb, f.reason));
                c.drop_connection();
            }
        }
    }
    let why = if n > count {
        "count"
    } else if TERM.load(Ordering::SeqCst) {
        "signal"
    } else {
        "time"
    };
    drop(c);
    journal.line(&format!("end produce acked={acked} reason={why}"));
    println!("produced: {acked} acknowledged of {count} in {} ms (ended by {why})", now_ms() - start);
    Ok(0)
}

fn parse_body(body: &[u8]) -> Option<u64> {
    std::str::from_utf8(body).ok()?.strip_prefix(BODY_PREFIX)?.parse().ok()
}

/// Gets and commits one message at a time until `deadline`, SIGTERM, or (with `stop_when_empty`)
/// the first empty wait on a working connection; whether it ended on such an empty wait.
fn consume_loop(
    c: &mut Client,
    journal: &Journal,
    deadline: u64,
    stop_when_empty: bool,
    mut on_delivered: impl FnMut(Option<u64>),
) -> bool {
    let mut backoff = BACKOFF_MIN;
    while now_ms() < deadline && !TERM.load(Ordering::SeqCst) {
        if !ensure_connected(c, journal, &mut backoff, deadline, 0) {
            continue;
        }
        let wait = Duration::from_millis(deadline.saturating_sub(now_ms()).clamp(1, 1000));
        match c.get(wait) {
            Ok(None) => {
                if stop_when_empty {
                    return true;
                }
            }
            Ok(Some(body)) => {
                let n = parse_body(&body);
                let shown = n.map(|n| n.to_string()).unwrap_or_else(|| "0".into());
                match c.commit() {
                    Ok(()) => {
                        match n {
                            Some(n) => journal.line(&format!("deliver {n}")),
                            None => journal.line(&format!("foreign {} bytes", body.len())),
                        }
                        on_delivered(n);
                    }
                    Err(f) if f.reason == mq::MQRC_BACKED_OUT => {
                        journal.line(&format!("fail {shown} {} {}", f.verb, f.reason));
                        c.drop_connection();
                    }
                    Err(f) => {
                        journal.line(&format!("indoubt {shown} {} {}", f.verb, f.reason));
                        c.drop_connection();
                    }
                }
            }
            Err(f) => {
                journal.line(&format!("fail 0 {} {}", f.verb, f.reason));
                c.drop_connection();
                nap(backoff, deadline);
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
    false
}

fn consume(o: &Opts) -> Result<u8, String> {
    let Session { t, journal, mqi, start, deadline } = Session::begin(o, "consume")?;
    let mut c = Client::new(&mqi, &t, mq::MQOO_INPUT_SHARED);
    let mut delivered = 0u64;
    let _ = consume_loop(&mut c, &journal, deadline, false, |_| delivered += 1);
    drop(c);
    let why = if TERM.load(Ordering::SeqCst) { "signal" } else { "time" };
    journal.line(&format!("end consume delivered={delivered} reason={why}"));
    println!("consumed: {delivered} delivered in {} ms (ended by {why})", now_ms() - start);
    Ok(0)
}

/// What one journal says.
#[derive(Default)]
struct Events {
    start: Option<u64>,
    /// Number -> time of its acknowledgement (produce) or each delivery (consume).
    acked: BTreeMap<u64, u64>,
    delivered: BTreeMap<u64, Vec<u64>>,
    indoubt: Vec<u64>,
    foreign: u64,
    /// Times of every success (ack or deliver).
    successes: Vec<u64>,
}

fn read_journal(path: &Path, ev: &mut Events) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (i, line) in text.lines().enumerate() {
        let bad = || format!("{}:{}: not a journal line: {line:?}", path.display(), i + 1);
        let mut w = line.split_whitespace();
        let (Some(ts), Some(event)) = (w.next(), w.next()) else { return Err(bad()) };
        let ts: u64 = ts.parse().map_err(|_| bad())?;
        let mut num = || -> Result<u64, String> { w.next().and_then(|n| n.parse().ok()).ok_or_else(bad) };
        match event {
            "start" => ev.start = Some(ev.start.map_or(ts, |s| s.min(ts))),
            "ack" => {
                let n = num()?;
                ev.acked.insert(n, ts);
                ev.successes.push(ts);
            }
            "deliver" => {
                let n = num()?;
                ev.delivered.entry(n).or_default().push(ts);
                ev.successes.push(ts);
            }
            "foreign" => {
                ev.foreign += 1;
                ev.successes.push(ts);
            }
            "indoubt" => {
                let n = num()?;
                ev.indoubt.push(n);
            }
            "fail" | "connect" | "end" | "abort" => {}
            _ => return Err(bad()),
        }
    }
    Ok(())
}

fn list(nums: &[u64]) -> String {
    let mut s: Vec<String> = nums.iter().take(20).map(u64::to_string).collect();
    if nums.len() > 20 {
        s.push(format!("... ({} in all)", nums.len()));
    }
    s.join(", ")
}

fn report(o: &Opts) -> Result<u8, String> {
    let mut produced = Events::default();
    read_journal(Opts::need(&o.produced, "--produced")?, &mut produced)?;
    let mut consumed = Events::default();
    read_journal(Opts::need(&o.consumed, "--consumed")?, &mut consumed)?;
    if o.drain {
        let t = o.target()?;
        let mqi = load(&t)?;
        let seconds = o.drain_seconds.unwrap_or(60);
        let deadline = now_ms() + seconds * 1000;
        let path = std::env::temp_dir().join(format!("mqload-drain-{}.journal", std::process::id()));
        let journal = Journal::create(&path)?;
        watchdog(journal.clone(), deadline);
        let mut c = Client::new(&mqi, &t, mq::MQOO_INPUT_SHARED);
        let mut drained = 0u64;
        // Until one empty wait on a working connection: what was left is then all counted.
        let emptied = consume_loop(&mut c, &journal, deadline, true, |n| {
            drained += 1;
            let ts = now_ms();
            match n {
                Some(n) => consumed.delivered.entry(n).or_default().push(ts),
                None => consumed.foreign += 1,
            }
        });
        drop(c);
        let log = std::fs::read_to_string(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        if !emptied {
            let fails: Vec<&str> = log.lines().filter(|l| l.contains(" fail ")).rev().take(1).collect();
            return Err(format!(
                "--drain: the queue was not emptied within {seconds} s ({drained} drained; last failure: {})",
                fails.first().copied().unwrap_or("none")
            ));
        }
        println!("drained: {drained} left on the queue");
    }
    let acked: Vec<u64> = produced.acked.keys().copied().collect();
    let lost: Vec<u64> = acked.iter().copied().filter(|n| !consumed.delivered.contains_key(n)).collect();
    let dups: Vec<u64> = consumed.delivered.iter().filter(|(_, v)| v.len() > 1).map(|(n, _)| *n).collect();
    println!(
        "messages: {} acknowledged, {} delivered, {} lost, {} duplicated",
        acked.len(),
        consumed.delivered.len(),
        lost.len(),
        dups.len()
    );
    if !lost.is_empty() {
        println!("lost: {}", list(&lost));
    }
    // A duplicate that follows the producer's in-doubt commit of the same number is what
    // at-least-once gives when a commit completed but its reply was lost (IBM, reason 2009: for a
    // client "it is possible that the call did complete successfully"): reported, not a failure.
    // Any other duplicate, or more copies than in-doubt commits explain, is one.
    let indoubt_puts = |n: u64| produced.indoubt.iter().filter(|&&m| m == n).count();
    let (explained, unexplained): (Vec<u64>, Vec<u64>) =
        dups.iter().partition(|&&n| consumed.delivered[&n].len() <= 1 + indoubt_puts(n));
    if !unexplained.is_empty() {
        println!("duplicated: {}", list(&unexplained));
    }
    if !explained.is_empty() {
        println!(
            "duplicated after the producer's in-doubt commit of the same number (at-least-once: the \
             commit had completed, its reply was lost, the number was put again): {}",
            list(&explained)
        );
    }
    let unacked: Vec<u64> = consumed.delivered.keys().copied().filter(|n| !produced.acked.contains_key(n)).collect();
    if !unacked.is_empty() {
        println!("delivered but never acknowledged (in-doubt or unfinished puts): {}", list(&unacked));
    }
    if !produced.indoubt.is_empty() || !consumed.indoubt.is_empty() {
        println!(
            "in-doubt commits: producer {}; consumer {}",
            if produced.indoubt.is_empty() { "none".into() } else { list(&produced.indoubt) },
            if consumed.indoubt.is_empty() { "none".into() } else { list(&consumed.indoubt) }
        );
    }
    if consumed.foreign > 0 {
        println!("foreign messages (not mqload's): {}", consumed.foreign);
    }
    let origin = [produced.start, consumed.start].into_iter().flatten().min().unwrap_or(0);
    match o.fault_at {
        None => println!("outage: no fault time given (--fault-at MS, from `mqload now`)"),
        Some(f) => {
            let mut all: Vec<u64> = produced.successes.iter().chain(&consumed.successes).copied().collect();
            all.sort_unstable();
            let rel = |t: u64| t as i64 - origin as i64;
            println!("fault: at +{} ms", rel(f));
            let before = all.iter().rev().find(|&&t| t <= f);
            let after = all.iter().find(|&&t| t > f);
            match (before, after) {
                (Some(&b), Some(&a)) => println!(
                    "outage: last success before the fault +{} ms, first success after +{} ms, outage {} ms",
                    rel(b),
                    rel(a),
                    a - b
                ),
                (None, Some(&a)) => println!("outage: no success before the fault, first success after +{} ms", rel(a)),
                (Some(&b), None) => {
                    println!("outage: last success before the fault +{} ms, no success after it", rel(b))
                }
                (None, None) => println!("outage: no success at all"),
            }
        }
    }
    Ok(if lost.is_empty() && unexplained.is_empty() { 0 } else { 1 })
}
