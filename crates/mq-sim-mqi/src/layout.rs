//! Byte-level access to the MQI structures at IBM's x86_64 offsets (docs/reference/mqi.md#struct-layouts).
//! Fields are read only when the caller's stated Version contains them, so a caller that
//! allocated a version-1 structure is never read past its end.

use std::ffi::c_void;

/// A caller-owned structure, read and written by offset.
pub struct Raw(pub *mut u8);

impl Raw {
    pub fn new(p: *mut c_void) -> Option<Raw> {
        (!p.is_null()).then_some(Raw(p.cast()))
    }
    pub unsafe fn i32_at(&self, off: usize) -> i32 {
        std::ptr::read_unaligned(self.0.add(off).cast::<i32>())
    }
    pub unsafe fn set_i32(&self, off: usize, v: i32) {
        std::ptr::write_unaligned(self.0.add(off).cast::<i32>(), v)
    }
    pub unsafe fn ptr_at(&self, off: usize) -> *mut u8 {
        std::ptr::read_unaligned(self.0.add(off).cast::<*mut u8>())
    }
    pub unsafe fn bytes(&self, off: usize, len: usize) -> &[u8] {
        std::slice::from_raw_parts(self.0.add(off), len)
    }
    pub unsafe fn set_bytes(&self, off: usize, v: &[u8]) {
        std::ptr::copy_nonoverlapping(v.as_ptr(), self.0.add(off), v.len())
    }
    /// An MQCHARn field: ends at the first NUL, trailing blanks trimmed (docs/reference/mqi.md#mqchar-fields).
    pub unsafe fn text(&self, off: usize, len: usize) -> String {
        field_text(self.bytes(off, len))
    }
    /// Writes an MQCHARn field blank-padded to its full length.
    pub unsafe fn set_text(&self, off: usize, len: usize, v: &str) {
        let mut buf = vec![b' '; len];
        let b = v.as_bytes();
        buf[..b.len().min(len)].copy_from_slice(&b[..b.len().min(len)]);
        self.set_bytes(off, &buf)
    }
    pub unsafe fn struc_id(&self) -> [u8; 4] {
        let mut id = [0u8; 4];
        id.copy_from_slice(self.bytes(0, 4));
        id
    }
}

pub fn field_text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).trim_end_matches(' ').to_string()
}

// MQOD
pub mod od {
    pub const ID: &[u8; 4] = b"OD  ";
    pub const MAX_VERSION: i32 = 4;
    pub const OBJECT_TYPE: usize = 8;
    pub const OBJECT_NAME: usize = 12;
    pub const OBJECT_Q_MGR_NAME: usize = 60;
    pub const DYNAMIC_Q_NAME: usize = 108;
    pub const RESOLVED_Q_NAME: usize = 248; // v3
    pub const RESOLVED_Q_MGR_NAME: usize = 296; // v3
}

// MQMD
pub mod md {
    pub const ID: &[u8; 4] = b"MD  ";
    pub const MAX_VERSION: i32 = 2;
    pub const REPORT: usize = 8;
    pub const MSG_TYPE: usize = 12;
    pub const EXPIRY: usize = 16;
    pub const FEEDBACK: usize = 20;
    pub const ENCODING: usize = 24;
    pub const CCSID: usize = 28;
    pub const FORMAT: usize = 32;
    pub const PRIORITY: usize = 40;
    pub const PERSISTENCE: usize = 44;
    pub const MSG_ID: usize = 48;
    pub const CORREL_ID: usize = 72;
    pub const BACKOUT_COUNT: usize = 96;
    pub const REPLY_TO_Q: usize = 100;
    pub const REPLY_TO_Q_MGR: usize = 148;
    pub const USER_IDENTIFIER: usize = 196;
    pub const PUT_APPL_TYPE: usize = 272;
    pub const PUT_APPL_NAME: usize = 276;
    pub const PUT_DATE: usize = 304;
    pub const PUT_TIME: usize = 312;
}

// MQPMO
pub mod pmo {
    pub const ID: &[u8; 4] = b"PMO ";
    pub const MAX_VERSION: i32 = 3;
    pub const OPTIONS: usize = 8;
    pub const RESOLVED_Q_NAME: usize = 32;
}

// MQGMO
pub mod gmo {
    pub const ID: &[u8; 4] = b"GMO ";
    pub const MAX_VERSION: i32 = 4;
    pub const OPTIONS: usize = 8;
    pub const WAIT_INTERVAL: usize = 12;
    pub const MATCH_OPTIONS: usize = 72; // v2
    pub const RETURNED_LENGTH: usize = 96; // v3
}

// MQCNO
pub mod cno {
    pub const ID: &[u8; 4] = b"CNO ";
    pub const MAX_VERSION: i32 = 8;
    pub const OPTIONS: usize = 8;
    pub const CLIENT_CONN_OFFSET: usize = 12; // v2
    pub const CLIENT_CONN_PTR: usize = 16; // v2
    pub const SECURITY_PARMS_OFFSET: usize = 188; // v5
    pub const SECURITY_PARMS_PTR: usize = 192; // v5
}

// MQCSP
pub mod csp {
    pub const ID: &[u8; 4] = b"CSP ";
    pub const MAX_VERSION: i32 = 3;
    pub const AUTHENTICATION_TYPE: usize = 8;
    pub const USER_ID_PTR: usize = 16;
    pub const USER_ID_OFFSET: usize = 24;
    pub const USER_ID_LENGTH: usize = 28;
    pub const PASSWORD_PTR: usize = 40;
    pub const PASSWORD_OFFSET: usize = 48;
    pub const PASSWORD_LENGTH: usize = 52;
}

// MQCD (no StrucId; Version at 20)
pub mod cd {
    pub const CHANNEL_NAME: usize = 0;
    pub const VERSION: usize = 20;
    pub const CHANNEL_TYPE: usize = 24;
    pub const TRANSPORT_TYPE: usize = 28;
    pub const SHORT_CONNECTION_NAME: usize = 192;
    pub const CONNECTION_NAME: usize = 1024; // v2
    pub const HEARTBEAT_INTERVAL: usize = 1480; // v4
    pub const CLNTCONN: i32 = 6;
    pub const TCP: i32 = 2;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_end_at_nul_and_lose_trailing_blanks() {
        assert_eq!(field_text(b"QM1\0\0\0"), "QM1");
        assert_eq!(field_text(b"QM1   "), "QM1");
        assert_eq!(field_text(b"\0QM1"), "");
    }

    #[test]
    fn writes_are_blank_padded() {
        let mut buf = [0u8; 8];
        let r = Raw(buf.as_mut_ptr());
        unsafe { r.set_text(0, 8, "AB") };
        assert_eq!(&buf, b"AB      ");
    }
}

/// The offsets above against libmqm-sys (bindgen output of IBM's 9.4.1.1 headers).
#[cfg(test)]
mod cross_check {
    use super::*;
    use libmqm_sys as mq;
    use std::mem::offset_of;

    #[test]
    fn offsets_agree_with_ibm_headers() {
        assert_eq!(offset_of!(mq::MQOD, ObjectType), od::OBJECT_TYPE);
        assert_eq!(offset_of!(mq::MQOD, ObjectName), od::OBJECT_NAME);
        assert_eq!(offset_of!(mq::MQOD, ObjectQMgrName), od::OBJECT_Q_MGR_NAME);
        assert_eq!(offset_of!(mq::MQOD, DynamicQName), od::DYNAMIC_Q_NAME);
        assert_eq!(offset_of!(mq::MQOD, ResolvedQName), od::RESOLVED_Q_NAME);
        assert_eq!(offset_of!(mq::MQOD, ResolvedQMgrName), od::RESOLVED_Q_MGR_NAME);
        assert_eq!(offset_of!(mq::MQMD, Report), md::REPORT);
        assert_eq!(offset_of!(mq::MQMD, Format), md::FORMAT);
        assert_eq!(offset_of!(mq::MQMD, Persistence), md::PERSISTENCE);
        assert_eq!(offset_of!(mq::MQMD, MsgId), md::MSG_ID);
        assert_eq!(offset_of!(mq::MQMD, CorrelId), md::CORREL_ID);
        assert_eq!(offset_of!(mq::MQMD, ReplyToQMgr), md::REPLY_TO_Q_MGR);
        assert_eq!(offset_of!(mq::MQMD, UserIdentifier), md::USER_IDENTIFIER);
        assert_eq!(offset_of!(mq::MQMD, PutApplType), md::PUT_APPL_TYPE);
        assert_eq!(offset_of!(mq::MQMD, PutApplName), md::PUT_APPL_NAME);
        assert_eq!(offset_of!(mq::MQMD, PutDate), md::PUT_DATE);
        assert_eq!(offset_of!(mq::MQMD, PutTime), md::PUT_TIME);
        assert_eq!(offset_of!(mq::MQPMO, Options), pmo::OPTIONS);
        assert_eq!(offset_of!(mq::MQPMO, ResolvedQName), pmo::RESOLVED_Q_NAME);
        assert_eq!(offset_of!(mq::MQGMO, WaitInterval), gmo::WAIT_INTERVAL);
        assert_eq!(offset_of!(mq::MQGMO, MatchOptions), gmo::MATCH_OPTIONS);
        assert_eq!(offset_of!(mq::MQGMO, ReturnedLength), gmo::RETURNED_LENGTH);
        assert_eq!(offset_of!(mq::MQCNO, ClientConnOffset), cno::CLIENT_CONN_OFFSET);
        assert_eq!(offset_of!(mq::MQCNO, ClientConnPtr), cno::CLIENT_CONN_PTR);
        assert_eq!(offset_of!(mq::MQCNO, SecurityParmsOffset), cno::SECURITY_PARMS_OFFSET);
        assert_eq!(offset_of!(mq::MQCNO, SecurityParmsPtr), cno::SECURITY_PARMS_PTR);
        assert_eq!(offset_of!(mq::MQCSP, AuthenticationType), csp::AUTHENTICATION_TYPE);
        assert_eq!(offset_of!(mq::MQCSP, CSPUserIdPtr), csp::USER_ID_PTR);
        assert_eq!(offset_of!(mq::MQCSP, CSPUserIdLength), csp::USER_ID_LENGTH);
        assert_eq!(offset_of!(mq::MQCSP, CSPPasswordPtr), csp::PASSWORD_PTR);
        assert_eq!(offset_of!(mq::MQCSP, CSPPasswordLength), csp::PASSWORD_LENGTH);
        assert_eq!(offset_of!(mq::MQCD, Version), cd::VERSION);
        assert_eq!(offset_of!(mq::MQCD, ChannelType), cd::CHANNEL_TYPE);
        assert_eq!(offset_of!(mq::MQCD, TransportType), cd::TRANSPORT_TYPE);
        assert_eq!(offset_of!(mq::MQCD, ShortConnectionName), cd::SHORT_CONNECTION_NAME);
        assert_eq!(offset_of!(mq::MQCD, ConnectionName), cd::CONNECTION_NAME);
        assert_eq!(mq::MQCHT_CLNTCONN, cd::CLNTCONN);
        assert_eq!(mq::MQXPT_TCP, cd::TCP);
    }
}
