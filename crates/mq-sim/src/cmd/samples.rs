//! IBM's sample programs amqsput/amqsget and their client variants amqsputc/amqsgetc, with the
//! usage, prompts, output and exit codes of amqsput0.c/amqsget0.c
//! (docs/reference/mq-commands.md#sample-programs). They go THROUGH the installation's C library
//! (dlopen of ROOT/opt/mqm/lib64/libmqm_r.so, or libmqic_r.so for the client variants) with
//! structures laid out byte for byte as IBM's *_DEFAULT initialisers
//! (docs/reference/mqi.md#default-initialisers), so the ABI is exercised as by IBM's compiled samples.

use crate::paths::Installation;
use std::ffi::{c_char, c_void, CString};
use std::io::{BufRead, Write};

type ConnxFn = unsafe extern "C" fn(*mut c_char, *mut c_void, *mut i32, *mut i32, *mut i32);
type DiscFn = unsafe extern "C" fn(*mut i32, *mut i32, *mut i32);
type OpenFn = unsafe extern "C" fn(i32, *mut c_void, i32, *mut i32, *mut i32, *mut i32);
type CloseFn = unsafe extern "C" fn(i32, *mut i32, i32, *mut i32, *mut i32);
type PutFn = unsafe extern "C" fn(i32, i32, *mut c_void, *mut c_void, i32, *mut c_void, *mut i32, *mut i32);
type GetFn = unsafe extern "C" fn(i32, i32, *mut c_void, *mut c_void, i32, *mut c_void, *mut i32, *mut i32, *mut i32);

const MQCC_OK: i32 = 0;
const MQCC_WARNING: i32 = 1;
const MQCC_FAILED: i32 = 2;
const MQRC_ALREADY_CONNECTED: i32 = 2002;
const MQRC_NO_MSG_AVAILABLE: i32 = 2033;
const MQRC_TRUNCATED_MSG_FAILED: i32 = 2080;

/// The MQI entry points of one loaded library.
struct Mqi {
    connx: ConnxFn,
    disc: DiscFn,
    open: OpenFn,
    close: CloseFn,
    put: PutFn,
    get: GetFn,
}

#[derive(Debug, thiserror::Error)]
enum LoadError {
    #[error("cannot load {0}: {1}")]
    Open(String, String),
    #[error("{0} has no symbol {1}")]
    Symbol(String, &'static str),
}

fn load(client: bool) -> Result<Mqi, LoadError> {
    let inst = Installation::current().map_err(|e| LoadError::Open("installation".into(), e.to_string()))?;
    let path = inst.lib64_dir.join(if client { "libmqic_r.so" } else { "libmqm_r.so" });
    let p = path.display().to_string();
    let c = CString::new(p.clone()).map_err(|e| LoadError::Open(p.clone(), e.to_string()))?;
    // SAFETY: dlopen/dlsym with NUL-terminated names; the symbols have the MQI prototypes
    // (docs/reference/mqi.md#c-prototypes).
    unsafe {
        let lib = libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL);
        if lib.is_null() {
            let err = std::ffi::CStr::from_ptr(libc::dlerror()).to_string_lossy().into_owned();
            return Err(LoadError::Open(p, err));
        }
        let sym = |name: &'static str| -> Result<*mut c_void, LoadError> {
            let n = CString::new(name).expect("symbol name");
            let s = libc::dlsym(lib, n.as_ptr());
            if s.is_null() {
                Err(LoadError::Symbol(p.clone(), name))
            } else {
                Ok(s)
            }
        };
        Ok(Mqi {
            connx: std::mem::transmute::<*mut c_void, ConnxFn>(sym("MQCONNX")?),
            disc: std::mem::transmute::<*mut c_void, DiscFn>(sym("MQDISC")?),
            open: std::mem::transmute::<*mut c_void, OpenFn>(sym("MQOPEN")?),
            close: std::mem::transmute::<*mut c_void, CloseFn>(sym("MQCLOSE")?),
            put: std::mem::transmute::<*mut c_void, PutFn>(sym("MQPUT")?),
            get: std::mem::transmute::<*mut c_void, GetFn>(sym("MQGET")?),
        })
    }
}

// Structure images as IBM's *_DEFAULT initialisers leave them (docs/reference/mqi.md#default-initialisers). u64 storage
// gives the 8-byte alignment the C structures have.

struct Image(Vec<u64>, usize);

impl Image {
    fn new(len: usize) -> Image {
        Image(vec![0u64; len.div_ceil(8)], len)
    }
    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: the Vec<u64> owns at least `len` bytes.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<u8>(), self.1) }
    }
    fn put(&mut self, off: usize, b: &[u8]) {
        self.bytes()[off..off + b.len()].copy_from_slice(b);
    }
    fn i32(&mut self, off: usize, v: i32) {
        self.put(off, &v.to_ne_bytes());
    }
    fn get_i32(&mut self, off: usize) -> i32 {
        i32::from_ne_bytes(self.bytes()[off..off + 4].try_into().expect("4 bytes"))
    }
    fn ptr(&mut self, off: usize, p: *const u8) {
        self.put(off, &(p as usize).to_ne_bytes());
    }
    fn text(&mut self, off: usize, len: usize, s: &str) {
        // strncpy semantics, as the C samples use.
        let mut b = vec![0u8; len];
        let s = s.as_bytes();
        b[..s.len().min(len)].copy_from_slice(&s[..s.len().min(len)]);
        self.put(off, &b);
    }
    fn p(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }
}

fn mqod_default() -> Image {
    let mut od = Image::new(424);
    od.put(0, b"OD  ");
    od.i32(4, 1);
    od.i32(8, 1); // MQOT_Q
    od.put(108, b"AMQ.*");
    od.i32(344 + 20, -3);
    od.i32(368 + 20, -3);
    od.i32(392 + 20, -3);
    od
}

fn mqmd_default() -> Image {
    let mut md = Image::new(364);
    md.put(0, b"MD  ");
    md.i32(4, 1);
    md.i32(12, 8); // MQMT_DATAGRAM
    md.i32(16, -1); // MQEI_UNLIMITED
    md.i32(24, 546); // MQENC_NATIVE
    md.put(32, b"        "); // MQFMT_NONE
    md.i32(40, -1); // MQPRI_PRIORITY_AS_Q_DEF
    md.i32(44, 2); // MQPER_PERSISTENCE_AS_Q_DEF
    md.i32(348, 1);
    md.i32(360, -1);
    md
}

fn mqpmo_default() -> Image {
    let mut pmo = Image::new(184);
    pmo.put(0, b"PMO ");
    pmo.i32(4, 1);
    pmo.i32(12, -1);
    pmo.i32(180, 9);
    pmo
}

fn mqgmo_default() -> Image {
    let mut gmo = Image::new(112);
    gmo.put(0, b"GMO ");
    gmo.i32(4, 1);
    gmo.i32(72, 3);
    gmo.put(76, b"    ");
    gmo.i32(96, -1);
    gmo
}

fn mqcno_default() -> Image {
    let mut cno = Image::new(272);
    cno.put(0, b"CNO ");
    cno.i32(4, 1);
    cno.put(224, &[b' '; 28]);
    cno
}

fn mqcsp_default() -> Image {
    let mut csp = Image::new(104);
    csp.put(0, b"CSP ");
    csp.i32(4, 1);
    csp
}

/// C's atoi: leading digits with an optional sign, 0 when none.
fn atoi(s: &str) -> i32 {
    let s = s.trim_start();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let n: i64 = digits
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .fold(0i64, |a, c| (a * 10 + (c as i64 - 48)).min(i32::MAX as i64));
    if neg {
        -(n as i32)
    } else {
        n as i32
    }
}

/// MQCONNX as the samples do it, with MQSAMP_USER_ID prompting for a password.
struct Connected {
    hconn: i32,
    reason: i32,
    _csp: Option<(Image, CString, CString)>,
}

fn connect(mqi: &Mqi, qm: &str, out: &mut dyn Write, input: &mut dyn BufRead) -> Result<Connected, i32> {
    let mut cno = mqcno_default();
    let mut csp_keep = None;
    if let Ok(user) = std::env::var("MQSAMP_USER_ID") {
        let _ = write!(out, "Enter password: ");
        let _ = out.flush();
        let mut pw = String::new();
        let _ = input.read_line(&mut pw);
        let pw = pw.trim_end_matches(['\n', '\r']).to_string();
        let mut csp = mqcsp_default();
        let u = CString::new(user.clone()).unwrap_or_default();
        let p = CString::new(pw.clone()).unwrap_or_default();
        csp.i32(8, 1); // MQCSP_AUTH_USER_ID_AND_PWD
        csp.ptr(16, u.as_ptr().cast());
        csp.i32(28, user.len() as i32);
        csp.ptr(40, p.as_ptr().cast());
        csp.i32(52, pw.len() as i32);
        cno.i32(4, 5);
        let cp = csp.p();
        cno.ptr(192, cp.cast());
        csp_keep = Some((csp, u, p));
    }
    let mut name = [0u8; 48];
    let b = qm.as_bytes();
    name[..b.len().min(48)].copy_from_slice(&b[..b.len().min(48)]);
    let (mut hconn, mut cc, mut rc) = (0i32, 0i32, 0i32);
    // SAFETY: the images have the sizes and layouts of MQCNO/MQCSP; name is a 48-byte MQCHAR48.
    unsafe { (mqi.connx)(name.as_mut_ptr().cast(), cno.p(), &mut hconn, &mut cc, &mut rc) };
    if cc == MQCC_FAILED {
        let _ = writeln!(out, "MQCONNX ended with reason code {rc}");
        return Err(rc);
    }
    if cc == MQCC_WARNING {
        let _ = writeln!(out, "MQCONNX generated a warning with reason code {rc}");
        let _ = writeln!(out, "Continuing...");
    }
    Ok(Connected { hconn, reason: rc, _csp: csp_keep })
}

fn finish(mqi: &Mqi, c: &mut Connected, hobj: Option<i32>, close_opts: i32, out: &mut dyn Write, name: &str) {
    let (mut cc, mut rc) = (0, 0);
    if let Some(mut h) = hobj {
        unsafe { (mqi.close)(c.hconn, &mut h, close_opts, &mut cc, &mut rc) };
        if rc != 0 {
            let _ = writeln!(out, "MQCLOSE ended with reason code {rc}");
        }
    }
    if c.reason != MQRC_ALREADY_CONNECTED {
        unsafe { (mqi.disc)(&mut c.hconn, &mut cc, &mut rc) };
        if rc != 0 {
            let _ = writeln!(out, "MQDISC ended with reason code {rc}");
        }
    }
    let _ = writeln!(out, "Sample {name} end");
}

/// Runs a sample against the process's own stdin and stdout.
fn sample_main(
    args: Vec<String>,
    client: bool,
    run: fn(Vec<String>, bool, &mut dyn Write, &mut dyn BufRead) -> i32,
) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    run(args, client, &mut out, &mut input)
}

/// What both samples do first, as amqsput0.c and amqsget0.c do: the start line, the queue-name
/// argument, the library, MQCONNX. Err carries the sample's exit code.
fn open_sample<'a>(
    sample: &str,
    args: &'a [String],
    client: bool,
    out: &mut dyn Write,
    input: &mut dyn BufRead,
) -> Result<(&'a str, Mqi, Connected), i32> {
    let _ = writeln!(out, "Sample {sample} start");
    let Some(qname) = args.first() else {
        let _ = writeln!(out, "Required parameter missing - queue name");
        return Err(99);
    };
    let mqi = match load(client) {
        Ok(m) => m,
        Err(e) => {
            let _ = out.flush();
            eprintln!("{e}");
            return Err(2059 % 256);
        }
    };
    let qm = args.get(1).cloned().unwrap_or_default();
    match connect(&mqi, &qm, out, input) {
        Ok(conn) => Ok((qname, mqi, conn)),
        Err(rc) => {
            let _ = out.flush();
            Err(rc)
        }
    }
}

fn run_put(args: Vec<String>, client: bool, out: &mut dyn Write, input: &mut dyn BufRead) -> i32 {
    let (qname, mqi, mut conn) = match open_sample("AMQSPUT0", &args, client, out, input) {
        Ok(v) => v,
        Err(rc) => return rc,
    };
    let mut od = mqod_default();
    od.text(12, 48, qname);
    let _ = writeln!(out, "target queue is {}", qname.chars().take(48).collect::<String>());
    let o_options = args.get(2).map(|s| atoi(s)).unwrap_or(0x10 | 0x2000); // MQOO_OUTPUT | MQOO_FAIL_IF_QUIESCING
    let c_options = args.get(3).map(|s| atoi(s)).unwrap_or(0);
    if let Some(t) = args.get(4) {
        od.text(60, 48, t);
    }
    if let Some(d) = args.get(5) {
        od.text(108, 48, d);
    }
    let (mut hobj, mut open_cc, mut rc) = (0, 0, 0);
    unsafe { (mqi.open)(conn.hconn, od.p(), o_options, &mut hobj, &mut open_cc, &mut rc) };
    if open_cc != MQCC_OK {
        let _ = writeln!(out, "MQOPEN ended with reason code {rc}");
    }
    if open_cc == MQCC_FAILED {
        let _ = writeln!(out, "unable to open queue for output");
    }
    let mut cc = open_cc;
    let mut md = mqmd_default();
    md.put(32, b"MQSTR   ");
    let mut pmo = mqpmo_default();
    pmo.i32(8, 0x4 | 0x2000); // MQPMO_NO_SYNCPOINT | MQPMO_FAIL_IF_QUIESCING
    while cc != MQCC_FAILED {
        let mut line = String::new();
        let n = input.read_line(&mut line).unwrap_or(0);
        if line.ends_with('\n') {
            line.pop();
        }
        // fgets into a 65535-byte buffer: longer lines arrive as several messages; keep it simple.
        let mut buf = line.into_bytes();
        buf.truncate(65534);
        if n > 0 && !buf.is_empty() {
            md.put(48, &[0u8; 24]);
            md.put(72, &[0u8; 24]);
            unsafe {
                (mqi.put)(
                    conn.hconn,
                    hobj,
                    md.p(),
                    pmo.p(),
                    buf.len() as i32,
                    buf.as_mut_ptr().cast(),
                    &mut cc,
                    &mut rc,
                )
            };
            if rc != 0 {
                let _ = writeln!(out, "MQPUT ended with reason code {rc}");
            }
        } else {
            cc = MQCC_FAILED;
        }
    }
    finish(&mqi, &mut conn, (open_cc != MQCC_FAILED).then_some(hobj), c_options, out, "AMQSPUT0");
    let _ = out.flush();
    0
}

fn run_get(args: Vec<String>, client: bool, out: &mut dyn Write, input: &mut dyn BufRead) -> i32 {
    let (qname, mqi, mut conn) = match open_sample("AMQSGET0", &args, client, out, input) {
        Ok(v) => v,
        Err(rc) => return rc,
    };
    let mut od = mqod_default();
    od.text(12, 48, qname);
    let o_options = args.get(2).map(|s| atoi(s)).unwrap_or(0x1 | 0x2000); // MQOO_INPUT_AS_Q_DEF | FAIL_IF_QUIESCING
    let c_options = args.get(3).map(|s| atoi(s)).unwrap_or(0);
    let (mut hobj, mut open_cc, mut rc) = (0, 0, 0);
    unsafe { (mqi.open)(conn.hconn, od.p(), o_options, &mut hobj, &mut open_cc, &mut rc) };
    if open_cc != MQCC_OK {
        let _ = writeln!(out, "MQOPEN ended with reason code {rc}");
    }
    if open_cc == MQCC_FAILED {
        let _ = writeln!(out, "unable to open queue for input");
    }
    let mut cc = open_cc;
    let mut md = mqmd_default();
    let mut gmo = mqgmo_default();
    gmo.i32(4, 2); // MQGMO_VERSION_2
    gmo.i32(72, 0); // MQMO_NONE
    gmo.i32(8, 0x1 | 0x4 | 0x4000 | 0x2000); // WAIT | NO_SYNCPOINT | CONVERT | FAIL_IF_QUIESCING
    gmo.i32(12, 15000);
    let mut buffer = vec![0u8; 65536];
    while cc != MQCC_FAILED {
        let buflen = (buffer.len() - 1) as i32;
        md.i32(24, 546);
        md.i32(28, 0);
        let mut messlen = 0;
        unsafe {
            (mqi.get)(
                conn.hconn,
                hobj,
                md.p(),
                gmo.p(),
                buflen,
                buffer.as_mut_ptr().cast(),
                &mut messlen,
                &mut cc,
                &mut rc,
            )
        };
        if rc != 0 {
            if rc == MQRC_NO_MSG_AVAILABLE {
                let _ = writeln!(out, "no more messages");
            } else {
                let _ = writeln!(out, "MQGET ended with reason code {rc}");
                if rc == MQRC_TRUNCATED_MSG_FAILED {
                    cc = MQCC_FAILED;
                }
            }
        }
        if cc != MQCC_FAILED {
            let n = (messlen.max(0) as usize).min(buflen as usize);
            let text = String::from_utf8_lossy(&buffer[..n]);
            // printf("%s") stops at the first NUL.
            let text = text.split('\0').next().unwrap_or("");
            let _ = writeln!(out, "message <{text}>");
        }
    }
    let _ = gmo.get_i32(8);
    finish(&mqi, &mut conn, (open_cc != MQCC_FAILED).then_some(hobj), c_options, out, "AMQSGET0");
    let _ = out.flush();
    0
}

pub fn amqsput(args: Vec<String>) -> i32 {
    sample_main(args, false, run_put)
}
pub fn amqsget(args: Vec<String>) -> i32 {
    sample_main(args, false, run_get)
}
pub fn amqsputc(args: Vec<String>) -> i32 {
    sample_main(args, true, run_put)
}
pub fn amqsgetc(args: Vec<String>) -> i32 {
    sample_main(args, true, run_get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_is_c_like() {
        assert_eq!(atoi("8208"), 8208);
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("-3"), -3);
    }

    #[test]
    fn images_match_ibm_defaults() {
        let mut md = mqmd_default();
        assert_eq!(&md.bytes()[0..4], b"MD  ");
        assert_eq!(md.get_i32(24), 546);
        assert_eq!(md.bytes().len(), 364);
        let mut od = mqod_default();
        assert_eq!(&od.bytes()[108..113], b"AMQ.*");
        assert_eq!(od.bytes().len(), 424);
    }
}
