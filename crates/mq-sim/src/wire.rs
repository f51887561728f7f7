//! The wire between a queue manager's engine and everything that talks to it: the MQI library
//! (bindings over a unix socket, clients over TCP through runmqlsr), runmqsc, dmpmqmsg and the
//! control programs of the runtime. Frames are a 4-byte big-endian length followed by one
//! serde_json document. This module knows nothing of C structures (that is mq-sim-mqi) nor of
//! queue semantics (that is the engine).

use crate::paths::{Installation, QmPaths};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};

/// Largest frame accepted: a 100 MB message (MQ's maximum) plus its descriptor.
pub const MAX_FRAME: u32 = 110 * 1024 * 1024;

/// The abstract unix-socket name of the engine of queue manager `qm` run from installation
/// `inst`: `mqsim-qm-<16 hex>` = FNV-1a 64 of canonical root, NUL, canonical data dir
/// (`Installation::qm_hash`, INTERFACE.md decision 1). Abstract, because sun_path is 108 bytes
/// and a test's ROOT can be longer; both paths, because two installations sharing one DataPath
/// (multi-instance "nodes") must reach different engines, as two hosts would.
pub fn engine_address(inst: &Installation, qm: &QmPaths) -> String {
    format!("mqsim-qm-{:016x}", inst.qm_hash(qm))
}

/// Binds the engine's listening socket (called by the engine inside the execution controller).
pub fn bind_engine(inst: &Installation, qm: &QmPaths) -> io::Result<UnixListener> {
    let addr = SocketAddr::from_abstract_name(engine_address(inst, qm).as_bytes())?;
    UnixListener::bind_addr(&addr)
}

/// Opens a raw connection to the engine. ECONNREFUSED means the queue manager is not running
/// on this installation (no one holds the name).
pub fn connect_engine(inst: &Installation, qm: &QmPaths) -> io::Result<UnixStream> {
    let addr = SocketAddr::from_abstract_name(engine_address(inst, qm).as_bytes())?;
    UnixStream::connect_addr(&addr)
}

pub fn write_frame<W: Write, T: Serialize>(w: &mut W, value: &T) -> io::Result<()> {
    let body = serde_json::to_vec(value).map_err(io::Error::other)?;
    if body.len() as u64 > u64::from(MAX_FRAME) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("frame of {} bytes exceeds {MAX_FRAME}", body.len()),
        ));
    }
    let mut buf = Vec::with_capacity(body.len() + 4);
    buf.extend_from_slice(&(body.len() as u32).to_be_bytes());
    buf.extend_from_slice(&body);
    w.write_all(&buf)?;
    w.flush()
}

/// Reads one frame; `Ok(None)` on a clean end of stream before any byte of a frame.
pub fn read_frame<R: Read, T: DeserializeOwned>(r: &mut R) -> io::Result<Option<T>> {
    match read_raw_frame(r)? {
        None => Ok(None),
        Some(frame) => {
            serde_json::from_slice(&frame[4..]).map(Some).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }
    }
}

/// Reads one frame as it came (length prefix included), for a relay that forwards frames
/// without decoding them; `Ok(None)` on a clean end of stream before any byte of a frame.
pub fn read_raw_frame<R: Read>(r: &mut R) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = r.read(&mut len[got..])?;
        if n == 0 {
            if got == 0 {
                return Ok(None);
            }
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        got += n;
    }
    let n = u32::from_be_bytes(len);
    if n > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("frame length {n} exceeds {MAX_FRAME}")));
    }
    let mut frame = vec![0u8; 4 + n as usize];
    frame[..4].copy_from_slice(&len);
    r.read_exact(&mut frame[4..])?;
    Ok(Some(frame))
}

/// How a connection reached the engine.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum ConnectMode {
    /// Local (server) bindings over the unix socket. The engine takes uid and pid from
    /// SO_PEERCRED, never from the frame.
    Bindings,
    /// MQ client through a listener: SVRCONN channel name, the user id the client process runs
    /// as (asserted, as a real client sends it), and MQCSP credentials when given.
    /// `hbint`: the client side's heartbeat interval (MQCD HeartbeatInterval; 1 with MQSERVER),
    /// negotiated against the SVRCONN's HBINT (`negotiate_hbint`).
    Client {
        channel: String,
        asserted_user: String,
        csp_user: Option<String>,
        csp_password: Option<String>,
        #[serde(default)]
        hbint: i32,
    },
}

/// An MQI message descriptor, the fields the simulator models (mq-sim-mqi maps MQMD to it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MsgDesc {
    pub report: i32,
    pub msg_type: i32,
    pub expiry: i32,
    pub feedback: i32,
    pub encoding: i32,
    pub ccsid: i32,
    pub format: String,
    pub priority: i32,
    pub persistence: i32,
    pub msg_id: [u8; 24],
    pub correl_id: [u8; 24],
    pub backout_count: i32,
    pub reply_to_q: String,
    pub reply_to_qmgr: String,
    pub user_identifier: String,
    pub put_appl_type: i32,
    pub put_appl_name: String,
    pub put_date: String,
    pub put_time: String,
}

impl Default for MsgDesc {
    /// MQMD_DEFAULT (docs/reference/mqi.md#default-initialisers).
    fn default() -> Self {
        MsgDesc {
            report: 0,
            msg_type: 8,
            expiry: -1,
            feedback: 0,
            encoding: 546,
            ccsid: 0,
            format: String::new(),
            priority: -1,
            persistence: 2,
            msg_id: [0; 24],
            correl_id: [0; 24],
            backout_count: 0,
            reply_to_q: String::new(),
            reply_to_qmgr: String::new(),
            user_identifier: String::new(),
            put_appl_type: 0,
            put_appl_name: String::new(),
            put_date: String::new(),
            put_time: String::new(),
        }
    }
}

/// What MQOPEN / MQPUT1 name (MQOD fields the simulator models).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct ObjectDesc {
    pub object_type: i32,
    pub object_name: String,
    pub object_qmgr_name: String,
    pub dynamic_q_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Request {
    /// MQCONN/MQCONNX. `qm_name` empty means "whichever queue manager this socket reaches"
    /// (the library already resolved the default).
    Connect {
        qm_name: String,
        mode: ConnectMode,
        appl_name: String,
        pid: u32,
    },
    /// One MQSC command (continuations already joined, comments removed).
    Mqsc {
        command: String,
    },
    Open {
        od: ObjectDesc,
        options: i32,
    },
    Close {
        hobj: i32,
        options: i32,
    },
    Put {
        hobj: i32,
        md: MsgDesc,
        pmo_options: i32,
        data: Vec<u8>,
    },
    Put1 {
        od: ObjectDesc,
        md: MsgDesc,
        pmo_options: i32,
        data: Vec<u8>,
    },
    /// `match_options`: MQMO_* (3 = msg id + correl id, as the v1 default); `wait_ms` -1 = unlimited.
    Get {
        hobj: i32,
        md: MsgDesc,
        gmo_options: i32,
        match_options: i32,
        wait_ms: i32,
        buffer_len: i32,
    },
    Inq {
        hobj: i32,
        selectors: Vec<i32>,
    },
    /// MQCMIT / MQBACK of the connection's unit of work.
    Commit,
    Backout,
    /// MQDISC: commits the unit of work (the end of the socket without it backs out).
    Disconnect,
}

/// The line runmqlsr writes on the engine socket before splicing a client's TCP connection
/// (INTERFACE.md decision 2): `MQSIM-PEER <ip>:<port> LISTENER <name or -> \n`. A frame can never
/// start with 'M': that would be a length above MAX_FRAME.
pub const PROXY_PREFIX: &str = "MQSIM-PEER ";

pub fn proxy_line(peer: &std::net::SocketAddr, listener: &str) -> String {
    let name = if listener.is_empty() { "-" } else { listener };
    format!("{PROXY_PREFIX}{peer} LISTENER {name} \n")
}

/// Every MQI reply carries a completion code and reason; MQSC replies carry the report lines.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one response per frame, sent and dropped: boxing saves nothing
pub enum Response {
    Mqi {
        cc: i32,
        reason: i32,
        body: MqiBody,
    },
    Mqsc {
        lines: Vec<String>,
        outcome: MqscOutcome,
    },
    /// A heartbeat flow the server side of a client channel (runmqlsr's proxy) sends when
    /// nothing else went to the client for the negotiated heartbeat interval, whatever the
    /// state of the conversation (also while an MQGET waits). Not a reply: `EngineConn::call`
    /// reads past it (docs/reference/mqi.md#client-heartbeat).
    Heartbeat,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum MqiBody {
    None,
    Connected {
        qm_name: String,
        /// The negotiated heartbeat interval of a client channel in seconds (0: none, and
        /// always 0 for bindings).
        #[serde(default)]
        hbint: i32,
    },
    Opened {
        hobj: i32,
        object_name: String,
        object_qmgr_name: String,
    },
    Put {
        md: MsgDesc,
        resolved_q: String,
    },
    Got {
        md: MsgDesc,
        data: Vec<u8>,
        data_length: i32,
    },
    /// Integer attributes in selector order; character attributes as (selector, value) in order.
    Inq {
        ints: Vec<i32>,
        chars: Vec<(i32, String)>,
    },
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum MqscOutcome {
    Processed,
    /// Valid command that could not be processed (object not found, ...): runmqsc rc 10.
    Failed,
    /// AMQ8405I: counted under "commands have a syntax error".
    SyntaxError,
}

/// Failures before any MQI reason exists (the library maps them to 2059/2058/2009).
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("queue manager {0} is not running on this installation")]
    NotRunning(String),
    #[error("connection to the queue manager broken: {0}")]
    Broken(#[source] io::Error),
    #[error("queue manager closed the connection")]
    Closed,
}

/// One MQI conversation with an engine, over a unix socket (bindings) or TCP (client).
pub struct EngineConn<S: Read + Write> {
    stream: S,
}

impl<S: Read + Write> EngineConn<S> {
    pub fn new(stream: S) -> Self {
        EngineConn { stream }
    }

    /// Sends one request and waits for its reply, reading past heartbeat flows (no deadline
    /// here: a hung queue manager blocks the caller, as a real one does; callers wanting a
    /// deadline set socket timeouts, as the client library does with `receive_timeout`).
    pub fn call(&mut self, req: &Request) -> Result<Response, WireError> {
        write_frame(&mut self.stream, req).map_err(WireError::Broken)?;
        loop {
            match read_frame(&mut self.stream).map_err(WireError::Broken)? {
                Some(Response::Heartbeat) => continue,
                Some(r) => return Ok(r),
                None => return Err(WireError::Closed),
            }
        }
    }

    pub fn stream(&self) -> &S {
        &self.stream
    }

    pub fn into_stream(self) -> S {
        self.stream
    }
}

/// The heartbeat interval a client channel runs with: the larger of the client side's and the
/// SVRCONN's values, none when either side says 0 (MQCD HeartbeatInterval,
/// docs/reference/mqi.md#client-heartbeat). Negative values (not valid on either side) count as 0.
pub fn negotiate_hbint(client: i32, server: i32) -> i32 {
    if client <= 0 || server <= 0 {
        0
    } else {
        client.max(server)
    }
}

/// How long the client side waits for any flow (a reply or a heartbeat) from the server before
/// it ends the call with MQRC_CONNECTION_BROKEN: twice the negotiated heartbeat interval under
/// 60 s, the interval plus 60 s from 60 s on, no limit without heartbeats. IBM documents this
/// rule for the receiving end of TCP channels on distributed platforms; that the client side
/// of an MQI channel applies the same rule is UNCONFIRMED (docs/reference/mqi.md#client-heartbeat).
pub fn receive_timeout(hbint: i32) -> Option<std::time::Duration> {
    match hbint {
        i32::MIN..=0 => None,
        1..=59 => Some(std::time::Duration::from_secs(2 * hbint as u64)),
        _ => Some(std::time::Duration::from_secs(hbint as u64 + 60)),
    }
}

/// A client channel as a client finds it (MQCD or MQSERVER): channel name and connection names
/// ("host(port)", comma-separated list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientChannel {
    pub channel: String,
    pub conname: String,
    /// HeartbeatInterval of the client-connection side (MQCD v4+; 1 for MQSERVER).
    pub hbint: i32,
}

/// MQSERVER=CHANNEL/TCP/host(port) (docs/reference/mqi.md#mqserver); None when malformed or not TCP.
pub fn parse_mqserver(v: &str) -> Option<ClientChannel> {
    let mut parts = v.splitn(3, '/');
    let (Some(ch), Some(tr), Some(cn)) = (parts.next(), parts.next(), parts.next()) else { return None };
    if !tr.eq_ignore_ascii_case("TCP") || ch.is_empty() || cn.is_empty() {
        return None;
    }
    // MQSERVER sets HeartbeatInterval 1, as MQCD_CLIENT_CONN_DEFAULT (docs/reference/mqi.md#client-heartbeat).
    Some(ClientChannel { channel: ch.to_string(), conname: cn.trim_matches('\'').to_string(), hbint: 1 })
}

/// "host(port)" -> (host, port); port defaults to 1414.
pub fn split_conname(c: &str) -> (String, u16) {
    let c = c.trim();
    match c.find('(') {
        Some(i) => {
            let port = c[i + 1..].trim_end_matches(')').trim().parse().unwrap_or(1414);
            (c[..i].trim().to_string(), port)
        }
        None => (c.to_string(), 1414),
    }
}

/// TCP to the first connection name that answers (each attempt bounded by `timeout`).
pub fn connect_conname(conname: &str, timeout: std::time::Duration) -> Option<std::net::TcpStream> {
    use std::net::ToSocketAddrs;
    for one in conname.split(',') {
        let (host, port) = split_conname(one);
        let Ok(addrs) = (host.as_str(), port).to_socket_addrs() else { continue };
        for a in addrs {
            if let Ok(s) = std::net::TcpStream::connect_timeout(&a, timeout) {
                let _ = s.set_nodelay(true);
                return Some(s);
            }
        }
    }
    None
}

/// Connects with local bindings to `qm_name` of the installation at `install_root` and sends the
/// connect frame. Returns the conversation and the engine's MQI reply to the connect.
pub fn connect_bindings(
    inst: &Installation,
    qm: &QmPaths,
    appl_name: &str,
) -> Result<(EngineConn<UnixStream>, Response), WireError> {
    if crate::nha::status::NhaStatus::refuses_applications(inst, qm) {
        return Err(WireError::NotRunning(qm.name.clone()));
    }
    let stream = connect_engine(inst, qm).map_err(|e| match e.kind() {
        io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => WireError::NotRunning(qm.name.clone()),
        _ => WireError::Broken(e),
    })?;
    let mut conn = EngineConn::new(stream);
    let reply = conn.call(&Request::Connect {
        qm_name: qm.name.clone(),
        mode: ConnectMode::Bindings,
        appl_name: appl_name.to_string(),
        pid: std::process::id(),
    })?;
    Ok((conn, reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mqserver_is_parsed_as_ibm_documents() {
        let c = parse_mqserver("DEV.APP.SVRCONN/TCP/localhost(1414)").unwrap();
        assert_eq!(c.channel, "DEV.APP.SVRCONN");
        assert_eq!(split_conname(&c.conname), ("localhost".to_string(), 1414));
        assert_eq!(parse_mqserver("CH/LU62/host"), None);
        assert_eq!(parse_mqserver("garbage"), None);
        assert_eq!(split_conname("127.0.0.1"), ("127.0.0.1".to_string(), 1414));
        assert_eq!(parse_mqserver("CH/tcp/'h(1)'").unwrap().conname, "h(1)");
    }

    #[test]
    fn heartbeat_interval_is_negotiated_and_bounds_the_wait_as_ibm_documents() {
        assert_eq!(negotiate_hbint(1, 300), 300);
        assert_eq!(negotiate_hbint(1, 5), 5);
        assert_eq!(negotiate_hbint(30, 5), 30);
        assert_eq!(negotiate_hbint(0, 300), 0);
        assert_eq!(negotiate_hbint(1, 0), 0);
        assert_eq!(receive_timeout(0), None);
        assert_eq!(receive_timeout(5), Some(std::time::Duration::from_secs(10)));
        assert_eq!(receive_timeout(59), Some(std::time::Duration::from_secs(118)));
        assert_eq!(receive_timeout(60), Some(std::time::Duration::from_secs(120)));
        assert_eq!(receive_timeout(300), Some(std::time::Duration::from_secs(360)));
    }

    #[test]
    fn a_call_reads_past_heartbeats_to_its_reply() {
        let mut from_server = Vec::new();
        write_frame(&mut from_server, &Response::Heartbeat).unwrap();
        write_frame(&mut from_server, &Response::Heartbeat).unwrap();
        let reply = Response::Mqi { cc: 0, reason: 0, body: MqiBody::None };
        write_frame(&mut from_server, &reply).unwrap();
        let stream = std::io::Cursor::new(from_server);
        struct Duplex(std::io::Cursor<Vec<u8>>, Vec<u8>);
        impl Read for Duplex {
            fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
                self.0.read(b)
            }
        }
        impl Write for Duplex {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.1.write(b)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut conn = EngineConn::new(Duplex(stream, Vec::new()));
        assert_eq!(conn.call(&Request::Commit).unwrap(), reply);
    }

    #[test]
    fn frames_round_trip_and_clean_eof_is_none() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &Request::Mqsc { command: "PING QMGR".into() }).unwrap();
        let mut r = &buf[..];
        let got: Option<Request> = read_frame(&mut r).unwrap();
        assert_eq!(got, Some(Request::Mqsc { command: "PING QMGR".into() }));
        let eof: Option<Request> = read_frame(&mut r).unwrap();
        assert_eq!(eof, None);
    }

    #[test]
    fn oversized_length_is_rejected() {
        let buf = (MAX_FRAME + 1).to_be_bytes();
        let err = read_frame::<_, Request>(&mut &buf[..]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
