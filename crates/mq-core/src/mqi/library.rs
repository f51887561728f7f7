//! The installation's MQI library, loaded with dlopen in the probe child only. We resolve just the
//! seven verbs the probe calls (libmqm-sys's dlopen2 wrapper would insist on all 26 MQI entry
//! points), with the C prototypes of docs/reference/mqi.md#c-prototypes over libmqm-sys's types.
//! MQCMIT and MQBACK are resolved when present and never required: the probe runs outside
//! syncpoint and does not call them; the test kit's load client (`mqload`) does.

use std::ffi::{c_void, CStr, CString};
use std::path::Path;

use libmqm_sys as mq;

type ConnxFn =
    unsafe extern "C" fn(*mut mq::MQCHAR, *mut mq::MQCNO, *mut mq::MQHCONN, *mut mq::MQLONG, *mut mq::MQLONG);
type DiscFn = unsafe extern "C" fn(*mut mq::MQHCONN, *mut mq::MQLONG, *mut mq::MQLONG);
type OpenFn =
    unsafe extern "C" fn(mq::MQHCONN, *mut c_void, mq::MQLONG, *mut mq::MQHOBJ, *mut mq::MQLONG, *mut mq::MQLONG);
type CloseFn = unsafe extern "C" fn(mq::MQHCONN, *mut mq::MQHOBJ, mq::MQLONG, *mut mq::MQLONG, *mut mq::MQLONG);
type PutFn = unsafe extern "C" fn(
    mq::MQHCONN,
    mq::MQHOBJ,
    *mut c_void,
    *mut c_void,
    mq::MQLONG,
    *mut c_void,
    *mut mq::MQLONG,
    *mut mq::MQLONG,
);
type GetFn = unsafe extern "C" fn(
    mq::MQHCONN,
    mq::MQHOBJ,
    *mut c_void,
    *mut c_void,
    mq::MQLONG,
    *mut c_void,
    *mut mq::MQLONG,
    *mut mq::MQLONG,
    *mut mq::MQLONG,
);
type SyncFn = unsafe extern "C" fn(mq::MQHCONN, *mut mq::MQLONG, *mut mq::MQLONG);
type InqFn = unsafe extern "C" fn(
    mq::MQHCONN,
    mq::MQHOBJ,
    mq::MQLONG,
    *mut mq::MQLONG,
    mq::MQLONG,
    *mut mq::MQLONG,
    mq::MQLONG,
    *mut mq::MQCHAR,
    *mut mq::MQLONG,
    *mut mq::MQLONG,
);

/// A failed verb: its completion and reason codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub verb: &'static str,
    pub cc: i32,
    pub reason: i32,
}

pub type MqResult<T> = Result<T, Failure>;

/// The loaded library's verbs. Never unloaded: the child exits when done.
pub struct Mqi {
    connx: ConnxFn,
    disc: DiscFn,
    open: OpenFn,
    close: CloseFn,
    put: PutFn,
    get: GetFn,
    inq: InqFn,
    cmit: Option<SyncFn>,
    back: Option<SyncFn>,
}

fn dlerror_text() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated string owned by libc.
    let p = unsafe { libc::dlerror() };
    if p.is_null() {
        "unknown dlopen error".into()
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

fn check(verb: &'static str, cc: i32, reason: i32) -> MqResult<()> {
    // A warning passes: the probe's calls have no warning that makes the step wrong.
    if cc == mq::MQCC_FAILED || (cc != mq::MQCC_OK && cc != mq::MQCC_WARNING) {
        Err(Failure { verb, cc, reason })
    } else {
        Ok(())
    }
}

impl Mqi {
    /// dlopens `path` and resolves the verbs; the error is dlerror's text.
    pub fn load(path: &Path) -> Result<Mqi, String> {
        let c =
            CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| "path contains a NUL byte".to_string())?;
        // RTLD_GLOBAL as IBM's own Node.js binding loads it: what the MQI loads later (channel
        // exits, its own modules) may expect its symbols in the global scope. Only the
        // short-lived child sees them. RTLD_NOW: a missing symbol fails here, not mid-probe.
        // SAFETY: loading a shared library runs its constructors; that is the point.
        let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
        if handle.is_null() {
            return Err(dlerror_text());
        }
        let sym = |name: &str| -> Result<*mut c_void, String> {
            let n = CString::new(name).expect("verb names have no NUL");
            // SAFETY: handle is a live dlopen handle.
            let p = unsafe { libc::dlsym(handle, n.as_ptr()) };
            if p.is_null() {
                Err(format!("symbol {name} not found: {}", dlerror_text()))
            } else {
                Ok(p)
            }
        };
        // SAFETY: each symbol is IBM's verb with the prototype its type alias states
        // (docs/reference/mqi.md#c-prototypes).
        unsafe {
            Ok(Mqi {
                connx: std::mem::transmute::<*mut c_void, ConnxFn>(sym("MQCONNX")?),
                disc: std::mem::transmute::<*mut c_void, DiscFn>(sym("MQDISC")?),
                open: std::mem::transmute::<*mut c_void, OpenFn>(sym("MQOPEN")?),
                close: std::mem::transmute::<*mut c_void, CloseFn>(sym("MQCLOSE")?),
                put: std::mem::transmute::<*mut c_void, PutFn>(sym("MQPUT")?),
                get: std::mem::transmute::<*mut c_void, GetFn>(sym("MQGET")?),
                inq: std::mem::transmute::<*mut c_void, InqFn>(sym("MQINQ")?),
                cmit: sym("MQCMIT").ok().map(|p| std::mem::transmute::<*mut c_void, SyncFn>(p)),
                back: sym("MQBACK").ok().map(|p| std::mem::transmute::<*mut c_void, SyncFn>(p)),
            })
        }
    }

    pub fn connx(&self, qmgr: &mut mq::MQCHAR48, cno: &mut mq::MQCNO) -> MqResult<mq::MQHCONN> {
        let (mut h, mut cc, mut rc) = (mq::MQHC_UNUSABLE_HCONN, mq::MQCC_UNKNOWN, mq::MQRC_NONE);
        // SAFETY: all pointers are to live, correctly laid out values.
        unsafe { (self.connx)(qmgr.as_mut_ptr(), cno, &mut h, &mut cc, &mut rc) };
        check("MQCONNX", cc, rc).map(|_| h)
    }

    pub fn disc(&self, hconn: &mut mq::MQHCONN) -> MqResult<()> {
        let (mut cc, mut rc) = (mq::MQCC_UNKNOWN, mq::MQRC_NONE);
        unsafe { (self.disc)(hconn, &mut cc, &mut rc) };
        check("MQDISC", cc, rc)
    }

    pub fn open(&self, hconn: mq::MQHCONN, od: &mut mq::MQOD, options: i32) -> MqResult<mq::MQHOBJ> {
        let (mut h, mut cc, mut rc) = (mq::MQHO_UNUSABLE_HOBJ, mq::MQCC_UNKNOWN, mq::MQRC_NONE);
        unsafe { (self.open)(hconn, od as *mut _ as *mut c_void, options, &mut h, &mut cc, &mut rc) };
        check("MQOPEN", cc, rc).map(|_| h)
    }

    pub fn close(&self, hconn: mq::MQHCONN, hobj: &mut mq::MQHOBJ, options: i32) -> MqResult<()> {
        let (mut cc, mut rc) = (mq::MQCC_UNKNOWN, mq::MQRC_NONE);
        unsafe { (self.close)(hconn, hobj, options, &mut cc, &mut rc) };
        check("MQCLOSE", cc, rc)
    }

    pub fn put(
        &self,
        hconn: mq::MQHCONN,
        hobj: mq::MQHOBJ,
        md: &mut mq::MQMD,
        pmo: &mut mq::MQPMO,
        data: &mut [u8],
    ) -> MqResult<()> {
        let (mut cc, mut rc) = (mq::MQCC_UNKNOWN, mq::MQRC_NONE);
        unsafe {
            (self.put)(
                hconn,
                hobj,
                md as *mut _ as *mut c_void,
                pmo as *mut _ as *mut c_void,
                data.len() as i32,
                data.as_mut_ptr() as *mut c_void,
                &mut cc,
                &mut rc,
            )
        };
        check("MQPUT", cc, rc)
    }

    /// Returns the message length. A truncation warning is a failure here: the probe's buffer
    /// is larger than anything it puts, so a longer message is not the probe's.
    pub fn get(
        &self,
        hconn: mq::MQHCONN,
        hobj: mq::MQHOBJ,
        md: &mut mq::MQMD,
        gmo: &mut mq::MQGMO,
        buf: &mut [u8],
    ) -> MqResult<usize> {
        let (mut len, mut cc, mut rc) = (0, mq::MQCC_UNKNOWN, mq::MQRC_NONE);
        unsafe {
            (self.get)(
                hconn,
                hobj,
                md as *mut _ as *mut c_void,
                gmo as *mut _ as *mut c_void,
                buf.len() as i32,
                buf.as_mut_ptr() as *mut c_void,
                &mut len,
                &mut cc,
                &mut rc,
            )
        };
        if cc == mq::MQCC_WARNING && rc != mq::MQRC_NONE {
            return Err(Failure { verb: "MQGET", cc, reason: rc });
        }
        check("MQGET", cc, rc).map(|_| len.max(0) as usize)
    }

    pub fn inq(
        &self,
        hconn: mq::MQHCONN,
        hobj: mq::MQHOBJ,
        selectors: &mut [i32],
        ints: &mut [i32],
        chars: &mut [mq::MQCHAR],
    ) -> MqResult<()> {
        let (mut cc, mut rc) = (mq::MQCC_UNKNOWN, mq::MQRC_NONE);
        unsafe {
            (self.inq)(
                hconn,
                hobj,
                selectors.len() as i32,
                selectors.as_mut_ptr(),
                ints.len() as i32,
                if ints.is_empty() { std::ptr::null_mut() } else { ints.as_mut_ptr() },
                chars.len() as i32,
                if chars.is_empty() { std::ptr::null_mut() } else { chars.as_mut_ptr() },
                &mut cc,
                &mut rc,
            )
        };
        check("MQINQ", cc, rc)
    }

    /// MQCMIT; a library without it fails as IBM's MQRC_FUNCTION_NOT_SUPPORTED (2298).
    pub fn cmit(&self, hconn: mq::MQHCONN) -> MqResult<()> {
        self.sync("MQCMIT", self.cmit, hconn)
    }

    /// MQBACK; a library without it fails as IBM's MQRC_FUNCTION_NOT_SUPPORTED (2298).
    pub fn back(&self, hconn: mq::MQHCONN) -> MqResult<()> {
        self.sync("MQBACK", self.back, hconn)
    }

    fn sync(&self, verb: &'static str, f: Option<SyncFn>, hconn: mq::MQHCONN) -> MqResult<()> {
        let Some(f) = f else {
            return Err(Failure { verb, cc: mq::MQCC_FAILED, reason: mq::MQRC_FUNCTION_NOT_SUPPORTED });
        };
        let (mut cc, mut rc) = (mq::MQCC_UNKNOWN, mq::MQRC_NONE);
        // SAFETY: the verb's prototype is (MQHCONN, PMQLONG, PMQLONG) (docs/reference/mqi.md#c-prototypes).
        unsafe { f(hconn, &mut cc, &mut rc) };
        // A warning from MQCMIT (2003 backed out, 2124 outcome pending) is not a commit.
        if cc != mq::MQCC_OK {
            return Err(Failure { verb, cc, reason: rc });
        }
        Ok(())
    }
}
