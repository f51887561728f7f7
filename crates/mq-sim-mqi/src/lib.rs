//! The simulated installation's MQI: a C library with IBM's ABI (docs/reference/mqi.md#c-prototypes), loaded by
//! applications as ROOT/opt/mqm/lib64/libmqm_r.so (bindings and client) or libmqic_r.so
//! (client only). It finds its installation from its own file path, talks to the queue
//! manager's engine over `mq_sim::wire` (a unix socket for bindings, TCP through runmqlsr for
//! clients) and maps the engine's replies onto the caller's structures. It holds no queue
//! semantics of its own, and is never packaged.

#![allow(clippy::missing_safety_doc, clippy::too_many_arguments, clippy::upper_case_acronyms, non_snake_case)]

mod layout;

use layout::{cd, cno, csp, gmo, md, od, pmo, Raw};
use mq_sim::engine::mqi::char_attr_length;
use mq_sim::paths::Installation;
use mq_sim::wire::{self, ClientChannel, ConnectMode, EngineConn, MqiBody, MsgDesc, ObjectDesc, Request, Response};
use std::collections::HashMap;
use std::ffi::c_void;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

type MQLONG = i32;
type PMQLONG = *mut MQLONG;

const MQCC_OK: i32 = 0;
const MQCC_WARNING: i32 = 1;
const MQCC_FAILED: i32 = 2;

const MQRC_ALREADY_CONNECTED: i32 = 2002;
const MQRC_BUFFER_LENGTH_ERROR: i32 = 2005;
const MQRC_CHAR_ATTR_LENGTH_ERROR: i32 = 2006;
const MQRC_CHAR_ATTRS_TOO_SHORT: i32 = 2008;
const MQRC_CONNECTION_BROKEN: i32 = 2009;
const MQRC_ENVIRONMENT_ERROR: i32 = 2012;
const MQRC_HCONN_ERROR: i32 = 2018;
const MQRC_INT_ATTR_COUNT_ERROR: i32 = 2021;
const MQRC_INT_ATTR_COUNT_TOO_SMALL: i32 = 2022;
const MQRC_MD_ERROR: i32 = 2026;
const MQRC_OD_ERROR: i32 = 2044;
const MQRC_Q_MGR_NAME_ERROR: i32 = 2058;
const MQRC_Q_MGR_NOT_AVAILABLE: i32 = 2059;
const MQRC_SELECTOR_COUNT_ERROR: i32 = 2065;
const MQRC_CNO_ERROR: i32 = 2139;
const MQRC_PMO_ERROR: i32 = 2173;
const MQRC_GMO_ERROR: i32 = 2186;
const MQRC_CALL_IN_PROGRESS: i32 = 2219;
const MQRC_CD_ERROR: i32 = 2277;
const MQRC_FUNCTION_NOT_SUPPORTED: i32 = 2298;
const MQRC_HOST_NOT_AVAILABLE: i32 = 2538;
const MQRC_CSP_ERROR: i32 = 2595;

const MQCNO_HANDLE_SHARE_BLOCK: i32 = 0x40;
const MQCNO_HANDLE_SHARE_NO_BLOCK: i32 = 0x80;
const MQCNO_CLIENT_BINDING: i32 = 0x800;
const MQCNO_LOCAL_BINDING: i32 = 0x400;
const MQHC_UNUSABLE_HCONN: i32 = -1;

/// How long a client waits for the TCP connection and for the reply to its connect.
const CONNECT_WAIT: Duration = Duration::from_secs(20);
const MQHO_UNUSABLE_HOBJ: i32 = -1;

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

struct Connection {
    conn: EngineConn<Box<dyn Stream>>,
    /// Non-shared handles belong to the thread that connected (docs/reference/mqi.md#handle-scope).
    owner: Option<std::thread::ThreadId>,
    no_block: bool,
    broken: bool,
}

fn table() -> &'static Mutex<HashMap<i32, Arc<Mutex<Connection>>>> {
    static T: OnceLock<Mutex<HashMap<i32, Arc<Mutex<Connection>>>>> = OnceLock::new();
    T.get_or_init(|| Mutex::new(HashMap::new()))
}

static NEXT_HCONN: AtomicI32 = AtomicI32::new(0x0100_0001);
/// The process that first used the library: a forked child without exec gets 2012 (docs/reference/mqi.md#fork).
static USER_PID: AtomicU32 = AtomicU32::new(0);

thread_local! {
    static NONSHARED: std::cell::Cell<Option<i32>> = const { std::cell::Cell::new(None) };
}

unsafe fn set(cc: PMQLONG, rc: PMQLONG, c: i32, r: i32) {
    if !cc.is_null() {
        *cc = c;
    }
    if !rc.is_null() {
        *rc = r;
    }
}

fn fork_check() -> Result<(), i32> {
    let me = std::process::id();
    match USER_PID.compare_exchange(0, me, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => Ok(()),
        Err(pid) if pid == me => Ok(()),
        Err(_) => Err(MQRC_ENVIRONMENT_ERROR),
    }
}

/// The installation and file name of this library, from its own path (dladdr).
fn whoami() -> Option<(Installation, bool)> {
    static W: OnceLock<Option<(Installation, bool)>> = OnceLock::new();
    W.get_or_init(|| {
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        let here = whoami as *const c_void;
        if unsafe { libc::dladdr(here, &mut info) } == 0 || info.dli_fname.is_null() {
            return None;
        }
        let path = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) }.to_string_lossy().into_owned();
        let path = std::fs::canonicalize(&path).unwrap_or_else(|_| path.into());
        let client_only = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("libmqic"));
        Installation::from_program(&path).ok().map(|i| (i, client_only))
    })
    .clone()
}

fn lookup(hconn: i32) -> Result<Arc<Mutex<Connection>>, i32> {
    fork_check()?;
    let t = table().lock().unwrap_or_else(|p| p.into_inner());
    t.get(&hconn).cloned().ok_or(MQRC_HCONN_ERROR)
}

/// Runs one request on a connection, honouring thread ownership and sharing options.
fn with_conn(hconn: i32, req: &Request) -> Result<(i32, i32, MqiBody), i32> {
    let c = lookup(hconn)?;
    let mut guard = {
        let try_no_block = c.lock().map(|g| g.no_block).unwrap_or(false);
        if try_no_block {
            match c.try_lock() {
                Ok(g) => g,
                Err(std::sync::TryLockError::WouldBlock) => return Err(MQRC_CALL_IN_PROGRESS),
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            }
        } else {
            c.lock().unwrap_or_else(|p| p.into_inner())
        }
    };
    if let Some(owner) = guard.owner {
        if owner != std::thread::current().id() {
            return Err(MQRC_HCONN_ERROR);
        }
    }
    if guard.broken {
        return Err(MQRC_CONNECTION_BROKEN);
    }
    match guard.conn.call(req) {
        Ok(Response::Mqi { cc, reason, body }) => Ok((cc, reason, body)),
        Ok(Response::Mqsc { .. } | Response::Heartbeat) => Err(MQRC_CONNECTION_BROKEN),
        Err(_) => {
            guard.broken = true;
            Err(MQRC_CONNECTION_BROKEN)
        }
    }
}

fn os_user() -> String {
    let uid = unsafe { libc::geteuid() };
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}

fn program_name() -> String {
    std::fs::read_link("/proc/self/exe")
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
        .chars()
        .take(28)
        .collect()
}

fn connect_client(
    qm_name: &str,
    ch: &ClientChannel,
    csp_user: Option<String>,
    csp_password: Option<String>,
) -> Result<(Box<dyn Stream>, i32, i32), i32> {
    let stream = wire::connect_conname(&ch.conname, CONNECT_WAIT);
    let Some(tcp) = stream else { return Err(MQRC_HOST_NOT_AVAILABLE) };
    let Ok(timeouts) = tcp.try_clone() else { return Err(MQRC_HOST_NOT_AVAILABLE) };
    // Before a heartbeat interval is negotiated: the simulator's own bound (IBM's for the
    // initial flows of an MQI channel is UNCONFIRMED, docs/reference/mqi.md#client-heartbeat).
    let _ = timeouts.set_read_timeout(Some(CONNECT_WAIT));
    let mut conn: EngineConn<Box<dyn Stream>> = EngineConn::new(Box::new(tcp));
    let req = Request::Connect {
        qm_name: qm_name.to_string(),
        mode: ConnectMode::Client {
            channel: ch.channel.clone(),
            asserted_user: os_user(),
            csp_user,
            csp_password,
            hbint: ch.hbint,
        },
        appl_name: program_name(),
        pid: std::process::id(),
    };
    match conn.call(&req) {
        Ok(Response::Mqi { cc, reason, body }) => {
            // From now on every call waits at most the receive timeout for a flow from the
            // server (its reply or a heartbeat); past it the call ends with 2009.
            let hbint = match body {
                MqiBody::Connected { hbint, .. } => hbint,
                _ => 0,
            };
            let _ = timeouts.set_read_timeout(wire::receive_timeout(hbint));
            Ok((conn.into_stream(), cc, reason))
        }
        // The listener accepted but could not reach the queue manager.
        _ => Err(MQRC_Q_MGR_NOT_AVAILABLE),
    }
}

unsafe fn read_csp(cnop: &Raw, version: i32) -> Result<(Option<String>, Option<String>), i32> {
    if version < 5 {
        return Ok((None, None));
    }
    let mut p = cnop.ptr_at(cno::SECURITY_PARMS_PTR);
    let off = cnop.i32_at(cno::SECURITY_PARMS_OFFSET);
    if p.is_null() && off > 0 {
        p = cnop.0.add(off as usize);
    }
    let Some(c) = Raw::new(p.cast()) else { return Ok((None, None)) };
    if &c.struc_id() != csp::ID || !(1..=csp::MAX_VERSION).contains(&c.i32_at(4)) {
        return Err(MQRC_CSP_ERROR);
    }
    if c.i32_at(csp::AUTHENTICATION_TYPE) != 1 {
        return Ok((None, None));
    }
    let get = |ptr_off: usize, off_off: usize, len_off: usize| -> Option<String> {
        let len = c.i32_at(len_off);
        let mut ptr = c.ptr_at(ptr_off);
        if ptr.is_null() && c.i32_at(off_off) > 0 {
            ptr = c.0.add(c.i32_at(off_off) as usize);
        }
        if ptr.is_null() || len <= 0 {
            return None;
        }
        Some(
            String::from_utf8_lossy(std::slice::from_raw_parts(ptr, len as usize))
                .trim_end_matches(['\0', ' '])
                .to_string(),
        )
    };
    Ok((
        get(csp::USER_ID_PTR, csp::USER_ID_OFFSET, csp::USER_ID_LENGTH),
        get(csp::PASSWORD_PTR, csp::PASSWORD_OFFSET, csp::PASSWORD_LENGTH),
    ))
}

unsafe fn read_cd(p: *mut u8) -> Result<ClientChannel, i32> {
    let c = Raw(p);
    let version = c.i32_at(cd::VERSION);
    if version < 1 || c.i32_at(cd::CHANNEL_TYPE) != cd::CLNTCONN {
        return Err(MQRC_CD_ERROR);
    }
    if c.i32_at(cd::TRANSPORT_TYPE) != cd::TCP {
        return Err(MQRC_CD_ERROR);
    }
    let conname = if version >= 2 { c.text(cd::CONNECTION_NAME, 264) } else { c.text(cd::SHORT_CONNECTION_NAME, 20) };
    // HeartbeatInterval exists from MQCD version 4; before it, MQCD_CLIENT_CONN_DEFAULT's 1.
    let hbint = if version >= 4 { c.i32_at(cd::HEARTBEAT_INTERVAL) } else { 1 };
    Ok(ClientChannel { channel: c.text(cd::CHANNEL_NAME, 20), conname, hbint })
}

unsafe fn connx(name: *mut libc::c_char, cnop: *mut c_void, hconn: *mut MQLONG) -> (i32, i32) {
    if let Err(rc) = fork_check() {
        return (MQCC_FAILED, rc);
    }
    let qm_name = if name.is_null() {
        String::new()
    } else {
        layout::field_text(std::slice::from_raw_parts(name.cast::<u8>(), 48))
    };
    let mut options = 0;
    let mut channel = None;
    let mut creds = (None, None);
    if let Some(c) = Raw::new(cnop) {
        let version = c.i32_at(4);
        if &c.struc_id() != cno::ID || !(1..=cno::MAX_VERSION).contains(&version) {
            return (MQCC_FAILED, MQRC_CNO_ERROR);
        }
        options = c.i32_at(cno::OPTIONS);
        if version >= 2 {
            let mut p = c.ptr_at(cno::CLIENT_CONN_PTR);
            let off = c.i32_at(cno::CLIENT_CONN_OFFSET);
            if p.is_null() && off > 0 {
                p = c.0.add(off as usize);
            }
            if !p.is_null() {
                channel = Some(p);
            }
        }
        creds = match read_csp(&c, version) {
            Ok(x) => x,
            Err(rc) => return (MQCC_FAILED, rc),
        };
    }
    let shared = options & (MQCNO_HANDLE_SHARE_BLOCK | MQCNO_HANDLE_SHARE_NO_BLOCK) != 0;
    if !shared {
        if let Some(h) = NONSHARED.with(|n| n.get()) {
            if table().lock().map(|t| t.contains_key(&h)).unwrap_or(false) {
                *hconn = h;
                return (MQCC_WARNING, MQRC_ALREADY_CONNECTED);
            }
        }
    }
    let Some((inst, client_only)) = whoami() else { return (MQCC_FAILED, MQRC_ENVIRONMENT_ERROR) };
    let env_client = std::env::var("MQ_CONNECT_TYPE").is_ok_and(|v| v.eq_ignore_ascii_case("CLIENT"))
        && options & MQCNO_LOCAL_BINDING == 0;
    let client = client_only || options & MQCNO_CLIENT_BINDING != 0 || env_client;
    let (stream, cc, rc): (Box<dyn Stream>, i32, i32) = if client {
        let ch = match channel {
            Some(p) => match read_cd(p) {
                Ok(ch) => ch,
                Err(rc) => return (MQCC_FAILED, rc),
            },
            None => match std::env::var("MQSERVER") {
                // Unknown transport or bad syntax: a queue-manager name error (docs/reference/mqi.md#mqserver).
                Ok(v) => match wire::parse_mqserver(&v) {
                    Some(ch) => ch,
                    None => return (MQCC_FAILED, MQRC_Q_MGR_NAME_ERROR),
                },
                // No MQSERVER, no CCDT modelled: no channel definition at all.
                Err(_) => return (MQCC_FAILED, MQRC_Q_MGR_NAME_ERROR),
            },
        };
        match connect_client(&qm_name, &ch, creds.0, creds.1) {
            Ok(x) => x,
            Err(rc) => return (MQCC_FAILED, rc),
        }
    } else {
        let name = if qm_name.is_empty() {
            match inst.default_qm() {
                Some(n) => n,
                None => return (MQCC_FAILED, MQRC_Q_MGR_NAME_ERROR),
            }
        } else {
            qm_name.clone()
        };
        let Ok(qm) = inst.qm(&name) else { return (MQCC_FAILED, MQRC_Q_MGR_NAME_ERROR) };
        match wire::connect_bindings(&inst, &qm, &program_name()) {
            Ok((c, Response::Mqi { cc, reason, .. })) => (Box::new(c.into_stream()) as Box<dyn Stream>, cc, reason),
            Ok(_) => return (MQCC_FAILED, MQRC_Q_MGR_NOT_AVAILABLE),
            Err(_) => return (MQCC_FAILED, MQRC_Q_MGR_NOT_AVAILABLE),
        }
    };
    if cc == MQCC_FAILED {
        *hconn = MQHC_UNUSABLE_HCONN;
        return (cc, rc);
    }
    let h = NEXT_HCONN.fetch_add(1, Ordering::SeqCst);
    let conn = Connection {
        conn: EngineConn::new(stream),
        owner: (!shared).then(|| std::thread::current().id()),
        no_block: options & MQCNO_HANDLE_SHARE_NO_BLOCK != 0,
        broken: false,
    };
    table().lock().unwrap_or_else(|p| p.into_inner()).insert(h, Arc::new(Mutex::new(conn)));
    if !shared {
        NONSHARED.with(|n| n.set(Some(h)));
    }
    *hconn = h;
    (cc, rc)
}

#[no_mangle]
pub unsafe extern "C" fn MQCONN(name: *mut libc::c_char, hconn: PMQLONG, cc: PMQLONG, rc: PMQLONG) {
    let (c, r) =
        if hconn.is_null() { (MQCC_FAILED, MQRC_HCONN_ERROR) } else { connx(name, std::ptr::null_mut(), hconn) };
    set(cc, rc, c, r);
}

#[no_mangle]
pub unsafe extern "C" fn MQCONNX(name: *mut libc::c_char, cnop: *mut c_void, hconn: PMQLONG, cc: PMQLONG, rc: PMQLONG) {
    let (c, r) = if hconn.is_null() { (MQCC_FAILED, MQRC_HCONN_ERROR) } else { connx(name, cnop, hconn) };
    set(cc, rc, c, r);
}

#[no_mangle]
pub unsafe extern "C" fn MQDISC(hconn: PMQLONG, cc: PMQLONG, rc: PMQLONG) {
    if hconn.is_null() {
        return set(cc, rc, MQCC_FAILED, MQRC_HCONN_ERROR);
    }
    let h = *hconn;
    let r = with_conn(h, &Request::Disconnect);
    // Whatever the engine said, this handle is finished on our side.
    let removed = table().lock().unwrap_or_else(|p| p.into_inner()).remove(&h).is_some();
    NONSHARED.with(|n| {
        if n.get() == Some(h) {
            n.set(None)
        }
    });
    match r {
        Ok((c, reason, _)) => {
            if c != MQCC_FAILED {
                *hconn = MQHC_UNUSABLE_HCONN;
            }
            set(cc, rc, c, reason)
        }
        Err(MQRC_CONNECTION_BROKEN) if removed => {
            *hconn = MQHC_UNUSABLE_HCONN;
            set(cc, rc, MQCC_FAILED, MQRC_CONNECTION_BROKEN)
        }
        Err(reason) => set(cc, rc, MQCC_FAILED, reason),
    }
}

unsafe fn read_od(p: *mut c_void) -> Result<(Raw, ObjectDesc), i32> {
    let o = Raw::new(p).ok_or(MQRC_OD_ERROR)?;
    if &o.struc_id() != od::ID || !(1..=od::MAX_VERSION).contains(&o.i32_at(4)) {
        return Err(MQRC_OD_ERROR);
    }
    let desc = ObjectDesc {
        object_type: o.i32_at(od::OBJECT_TYPE),
        object_name: o.text(od::OBJECT_NAME, 48),
        object_qmgr_name: o.text(od::OBJECT_Q_MGR_NAME, 48),
        dynamic_q_name: o.text(od::DYNAMIC_Q_NAME, 48),
    };
    Ok((o, desc))
}

unsafe fn write_opened(o: &Raw, object_name: &str, qmgr: &str, given: &ObjectDesc) {
    if object_name != given.object_name {
        // A model queue became a dynamic queue: the caller learns its name
        // (docs/reference/mqi.md#temporary-dynamic-queues).
        o.set_text(od::OBJECT_NAME, 48, object_name);
        o.set_text(od::OBJECT_Q_MGR_NAME, 48, qmgr);
    }
    if o.i32_at(4) >= 3 {
        o.set_text(od::RESOLVED_Q_NAME, 48, object_name);
        o.set_text(od::RESOLVED_Q_MGR_NAME, 48, qmgr);
    }
}

#[no_mangle]
pub unsafe extern "C" fn MQOPEN(
    hconn: MQLONG,
    odp: *mut c_void,
    options: MQLONG,
    hobj: PMQLONG,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    let (o, desc) = match read_od(odp) {
        Ok(x) => x,
        Err(r) => return set(cc, rc, MQCC_FAILED, r),
    };
    match with_conn(hconn, &Request::Open { od: desc.clone(), options }) {
        Ok((c, r, MqiBody::Opened { hobj: h, object_name, object_qmgr_name })) => {
            write_opened(&o, &object_name, &object_qmgr_name, &desc);
            if !hobj.is_null() {
                *hobj = h;
            }
            set(cc, rc, c, r)
        }
        Ok((c, r, _)) => {
            if !hobj.is_null() {
                *hobj = MQHO_UNUSABLE_HOBJ;
            }
            set(cc, rc, c, r)
        }
        Err(r) => set(cc, rc, MQCC_FAILED, r),
    }
}

#[no_mangle]
pub unsafe extern "C" fn MQCLOSE(hconn: MQLONG, hobj: PMQLONG, options: MQLONG, cc: PMQLONG, rc: PMQLONG) {
    if hobj.is_null() {
        return set(cc, rc, MQCC_FAILED, 2019);
    }
    match with_conn(hconn, &Request::Close { hobj: *hobj, options }) {
        Ok((c, r, _)) => {
            if c == MQCC_OK {
                *hobj = MQHO_UNUSABLE_HOBJ;
            }
            set(cc, rc, c, r)
        }
        Err(r) => set(cc, rc, MQCC_FAILED, r),
    }
}

unsafe fn read_md(p: *mut c_void) -> Result<(Raw, MsgDesc), i32> {
    let m = Raw::new(p).ok_or(MQRC_MD_ERROR)?;
    if &m.struc_id() != md::ID || !(1..=md::MAX_VERSION).contains(&m.i32_at(4)) {
        return Err(MQRC_MD_ERROR);
    }
    let mut id = [0u8; 24];
    id.copy_from_slice(m.bytes(md::MSG_ID, 24));
    let mut correl = [0u8; 24];
    correl.copy_from_slice(m.bytes(md::CORREL_ID, 24));
    let d = MsgDesc {
        report: m.i32_at(md::REPORT),
        msg_type: m.i32_at(md::MSG_TYPE),
        expiry: m.i32_at(md::EXPIRY),
        feedback: m.i32_at(md::FEEDBACK),
        encoding: m.i32_at(md::ENCODING),
        ccsid: m.i32_at(md::CCSID),
        format: String::from_utf8_lossy(m.bytes(md::FORMAT, 8)).into_owned(),
        priority: m.i32_at(md::PRIORITY),
        persistence: m.i32_at(md::PERSISTENCE),
        msg_id: id,
        correl_id: correl,
        backout_count: m.i32_at(md::BACKOUT_COUNT),
        reply_to_q: m.text(md::REPLY_TO_Q, 48),
        reply_to_qmgr: m.text(md::REPLY_TO_Q_MGR, 48),
        user_identifier: m.text(md::USER_IDENTIFIER, 12),
        put_appl_type: m.i32_at(md::PUT_APPL_TYPE),
        put_appl_name: m.text(md::PUT_APPL_NAME, 28),
        put_date: m.text(md::PUT_DATE, 8),
        put_time: m.text(md::PUT_TIME, 8),
    };
    Ok((m, d))
}

/// After MQPUT: the identifiers and context the queue manager filled in.
unsafe fn write_put_md(m: &Raw, d: &MsgDesc) {
    m.set_bytes(md::MSG_ID, &d.msg_id);
    m.set_bytes(md::CORREL_ID, &d.correl_id);
    m.set_text(md::USER_IDENTIFIER, 12, &d.user_identifier);
    m.set_i32(md::PUT_APPL_TYPE, d.put_appl_type);
    m.set_text(md::PUT_APPL_NAME, 28, &d.put_appl_name);
    m.set_text(md::PUT_DATE, 8, &d.put_date);
    m.set_text(md::PUT_TIME, 8, &d.put_time);
}

/// After MQGET: the whole descriptor of the message.
unsafe fn write_got_md(m: &Raw, d: &MsgDesc) {
    m.set_i32(md::REPORT, d.report);
    m.set_i32(md::MSG_TYPE, d.msg_type);
    m.set_i32(md::EXPIRY, d.expiry);
    m.set_i32(md::FEEDBACK, d.feedback);
    m.set_i32(md::ENCODING, d.encoding);
    m.set_i32(md::CCSID, d.ccsid);
    m.set_text(md::FORMAT, 8, &d.format);
    m.set_i32(md::PRIORITY, d.priority);
    m.set_i32(md::PERSISTENCE, d.persistence);
    m.set_i32(md::BACKOUT_COUNT, d.backout_count);
    m.set_text(md::REPLY_TO_Q, 48, &d.reply_to_q);
    m.set_text(md::REPLY_TO_Q_MGR, 48, &d.reply_to_qmgr);
    write_put_md(m, d);
}

unsafe fn read_pmo(p: *mut c_void) -> Result<(Raw, i32), i32> {
    let o = Raw::new(p).ok_or(MQRC_PMO_ERROR)?;
    if &o.struc_id() != pmo::ID || !(1..=pmo::MAX_VERSION).contains(&o.i32_at(4)) {
        return Err(MQRC_PMO_ERROR);
    }
    Ok((o.clone_raw(), o.i32_at(pmo::OPTIONS)))
}

impl Raw {
    fn clone_raw(&self) -> Raw {
        Raw(self.0)
    }
}

unsafe fn data_of(buf: *mut c_void, len: MQLONG) -> Result<Vec<u8>, i32> {
    if len < 0 || (len > 0 && buf.is_null()) {
        return Err(MQRC_BUFFER_LENGTH_ERROR);
    }
    Ok(if len == 0 { Vec::new() } else { std::slice::from_raw_parts(buf.cast::<u8>(), len as usize).to_vec() })
}

/// What MQPUT and MQPUT1 both take from the caller: the MQMD, the MQPMO and the message bytes,
/// each checked as the verb's reason codes require.
struct PutArgs {
    m: Raw,
    d: MsgDesc,
    p: Raw,
    options: i32,
    data: Vec<u8>,
}

unsafe fn read_put_args(mdp: *mut c_void, pmop: *mut c_void, buf: *mut c_void, len: MQLONG) -> Result<PutArgs, i32> {
    let (m, d) = read_md(mdp)?;
    let (p, options) = read_pmo(pmop)?;
    let data = data_of(buf, len)?;
    Ok(PutArgs { m, d, p, options, data })
}

unsafe fn finish_put(m: &Raw, p: &Raw, r: Result<(i32, i32, MqiBody), i32>, cc: PMQLONG, rc: PMQLONG) {
    match r {
        Ok((c, reason, MqiBody::Put { md: d, resolved_q })) => {
            write_put_md(m, &d);
            p.set_text(pmo::RESOLVED_Q_NAME, 48, &resolved_q);
            set(cc, rc, c, reason)
        }
        Ok((c, reason, _)) => set(cc, rc, c, reason),
        Err(reason) => set(cc, rc, MQCC_FAILED, reason),
    }
}

#[no_mangle]
pub unsafe extern "C" fn MQPUT(
    hconn: MQLONG,
    hobj: MQLONG,
    mdp: *mut c_void,
    pmop: *mut c_void,
    len: MQLONG,
    buf: *mut c_void,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    let PutArgs { m, d, p, options, data } = match read_put_args(mdp, pmop, buf, len) {
        Ok(x) => x,
        Err(r) => return set(cc, rc, MQCC_FAILED, r),
    };
    let r = with_conn(hconn, &Request::Put { hobj, md: d, pmo_options: options, data });
    finish_put(&m, &p, r, cc, rc)
}

#[no_mangle]
pub unsafe extern "C" fn MQPUT1(
    hconn: MQLONG,
    odp: *mut c_void,
    mdp: *mut c_void,
    pmop: *mut c_void,
    len: MQLONG,
    buf: *mut c_void,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    let (_, desc) = match read_od(odp) {
        Ok(x) => x,
        Err(r) => return set(cc, rc, MQCC_FAILED, r),
    };
    let PutArgs { m, d, p, options, data } = match read_put_args(mdp, pmop, buf, len) {
        Ok(x) => x,
        Err(r) => return set(cc, rc, MQCC_FAILED, r),
    };
    let r = with_conn(hconn, &Request::Put1 { od: desc, md: d, pmo_options: options, data });
    finish_put(&m, &p, r, cc, rc)
}

#[no_mangle]
pub unsafe extern "C" fn MQGET(
    hconn: MQLONG,
    hobj: MQLONG,
    mdp: *mut c_void,
    gmop: *mut c_void,
    len: MQLONG,
    buf: *mut c_void,
    data_len: PMQLONG,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    let (m, d) = match read_md(mdp) {
        Ok(x) => x,
        Err(r) => return set(cc, rc, MQCC_FAILED, r),
    };
    let Some(g) = Raw::new(gmop) else { return set(cc, rc, MQCC_FAILED, MQRC_GMO_ERROR) };
    let gv = g.i32_at(4);
    if &g.struc_id() != gmo::ID || !(1..=gmo::MAX_VERSION).contains(&gv) {
        return set(cc, rc, MQCC_FAILED, MQRC_GMO_ERROR);
    }
    if len < 0 || (len > 0 && buf.is_null()) {
        return set(cc, rc, MQCC_FAILED, MQRC_BUFFER_LENGTH_ERROR);
    }
    let match_options = if gv >= 2 { g.i32_at(gmo::MATCH_OPTIONS) } else { 3 };
    let req = Request::Get {
        hobj,
        md: d,
        gmo_options: g.i32_at(gmo::OPTIONS),
        match_options,
        wait_ms: g.i32_at(gmo::WAIT_INTERVAL),
        buffer_len: len,
    };
    match with_conn(hconn, &req) {
        Ok((c, reason, MqiBody::Got { md: got, data, data_length })) => {
            write_got_md(&m, &got);
            if !data.is_empty() {
                std::ptr::copy_nonoverlapping(data.as_ptr(), buf.cast::<u8>(), data.len().min(len as usize));
            }
            if !data_len.is_null() {
                *data_len = data_length;
            }
            if gv >= 3 {
                g.set_i32(gmo::RETURNED_LENGTH, data.len() as i32);
            }
            set(cc, rc, c, reason)
        }
        Ok((c, reason, _)) => set(cc, rc, c, reason),
        Err(reason) => set(cc, rc, MQCC_FAILED, reason),
    }
}

#[no_mangle]
pub unsafe extern "C" fn MQINQ(
    hconn: MQLONG,
    hobj: MQLONG,
    sel_count: MQLONG,
    selectors: PMQLONG,
    int_count: MQLONG,
    ints: PMQLONG,
    char_len: MQLONG,
    chars: *mut libc::c_char,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    if sel_count < 0 || (sel_count > 0 && selectors.is_null()) {
        return set(cc, rc, MQCC_FAILED, MQRC_SELECTOR_COUNT_ERROR);
    }
    if int_count < 0 || (int_count > 0 && ints.is_null()) {
        return set(cc, rc, MQCC_FAILED, MQRC_INT_ATTR_COUNT_ERROR);
    }
    if char_len < 0 || (char_len > 0 && chars.is_null()) {
        return set(cc, rc, MQCC_FAILED, MQRC_CHAR_ATTR_LENGTH_ERROR);
    }
    let sels: Vec<i32> =
        if sel_count == 0 { Vec::new() } else { std::slice::from_raw_parts(selectors, sel_count as usize).to_vec() };
    match with_conn(hconn, &Request::Inq { hobj, selectors: sels }) {
        Ok((MQCC_OK, _, MqiBody::Inq { ints: iv, chars: cv })) => {
            let mut warning = 0;
            for (i, v) in iv.iter().enumerate() {
                if (i as i32) < int_count {
                    *ints.add(i) = *v;
                } else {
                    warning = MQRC_INT_ATTR_COUNT_TOO_SMALL;
                }
            }
            let mut buf = Vec::new();
            for (sel, v) in &cv {
                let n = char_attr_length(*sel).unwrap_or(48);
                let mut field = vec![b' '; n];
                let b = v.as_bytes();
                field[..b.len().min(n)].copy_from_slice(&b[..b.len().min(n)]);
                buf.extend_from_slice(&field);
            }
            if buf.len() > char_len as usize {
                warning = MQRC_CHAR_ATTRS_TOO_SHORT;
            }
            let n = buf.len().min(char_len as usize);
            if n > 0 {
                std::ptr::copy_nonoverlapping(buf.as_ptr(), chars.cast::<u8>(), n);
            }
            if warning != 0 {
                set(cc, rc, MQCC_WARNING, warning)
            } else {
                set(cc, rc, MQCC_OK, 0)
            }
        }
        Ok((c, r, _)) => set(cc, rc, c, r),
        Err(r) => set(cc, rc, MQCC_FAILED, r),
    }
}

/// MQCMIT: the engine makes the connection's unit of work final (docs/reference/mqi.md#units-of-work).
/// A connection that broke (2009) leaves the outcome to the queue manager, which backs it out
/// when it notices the end of the connection.
#[no_mangle]
pub unsafe extern "C" fn MQCMIT(hconn: MQLONG, cc: PMQLONG, rc: PMQLONG) {
    match with_conn(hconn, &Request::Commit) {
        Ok((c, r, _)) => set(cc, rc, c, r),
        Err(r) => set(cc, rc, MQCC_FAILED, r),
    }
}

/// MQBACK: the engine undoes the connection's unit of work.
#[no_mangle]
pub unsafe extern "C" fn MQBACK(hconn: MQLONG, cc: PMQLONG, rc: PMQLONG) {
    match with_conn(hconn, &Request::Backout) {
        Ok((c, r, _)) => set(cc, rc, c, r),
        Err(r) => set(cc, rc, MQCC_FAILED, r),
    }
}

// The rest of the MQI that libmqm-sys's dlopen2 MqWrapper requires (docs/reference/mqi.md#dlopen2-required-symbols):
// present with IBM's prototypes so a loader finds them, answering MQRC_FUNCTION_NOT_SUPPORTED.
type P = *mut c_void;

#[no_mangle]
pub unsafe extern "C" fn MQBEGIN(_h: MQLONG, _o: P, cc: PMQLONG, rc: PMQLONG) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQBUFMH(
    _h: MQLONG,
    _m: i64,
    _o: P,
    _d: P,
    _l: MQLONG,
    _b: P,
    _dl: PMQLONG,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQCB(_h: MQLONG, _op: MQLONG, _cb: P, _o: MQLONG, _d: P, _g: P, cc: PMQLONG, rc: PMQLONG) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQCRTMH(_h: MQLONG, _o: P, _m: P, cc: PMQLONG, rc: PMQLONG) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQCTL(_h: MQLONG, _op: MQLONG, _o: P, cc: PMQLONG, rc: PMQLONG) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQDLTMH(_h: MQLONG, _m: P, _o: P, cc: PMQLONG, rc: PMQLONG) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQDLTMP(_h: MQLONG, _m: i64, _o: P, _n: P, cc: PMQLONG, rc: PMQLONG) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQINQMP(
    _h: MQLONG,
    _m: i64,
    _o: P,
    _n: P,
    _pd: P,
    _t: PMQLONG,
    _vl: MQLONG,
    _v: P,
    _dl: PMQLONG,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQMHBUF(
    _h: MQLONG,
    _m: i64,
    _o: P,
    _n: P,
    _d: P,
    _l: MQLONG,
    _b: P,
    _dl: PMQLONG,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQSET(
    _h: MQLONG,
    _o: MQLONG,
    _sc: MQLONG,
    _s: PMQLONG,
    _ic: MQLONG,
    _i: PMQLONG,
    _cl: MQLONG,
    _c: P,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQSETMP(
    _h: MQLONG,
    _m: i64,
    _o: P,
    _n: P,
    _pd: P,
    _t: MQLONG,
    _vl: MQLONG,
    _v: P,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQSTAT(_h: MQLONG, _t: MQLONG, _s: P, cc: PMQLONG, rc: PMQLONG) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQSUB(_h: MQLONG, _sd: P, _o: PMQLONG, _s: PMQLONG, cc: PMQLONG, rc: PMQLONG) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQSUBRQ(_h: MQLONG, _s: MQLONG, _a: MQLONG, _o: P, cc: PMQLONG, rc: PMQLONG) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
#[no_mangle]
pub unsafe extern "C" fn MQXCNVC(
    _h: MQLONG,
    _o: MQLONG,
    _sc: MQLONG,
    _sl: MQLONG,
    _sb: P,
    _tc: MQLONG,
    _tl: MQLONG,
    _tb: P,
    _dl: PMQLONG,
    cc: PMQLONG,
    rc: PMQLONG,
) {
    set(cc, rc, MQCC_FAILED, MQRC_FUNCTION_NOT_SUPPORTED)
}
