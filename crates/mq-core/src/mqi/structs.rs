//! IBM's `*_DEFAULT` initialisers for the MQI structures the probe passes, over libmqm-sys's
//! generated types. libmqm-sys only carries the defaults when it compiles IBM's headers
//! (`struct_defaults` needs an MQ installation and bindgen), so the values are written here from
//! docs/reference/mqi.md#default-initialisers (IBM's macros as decoded there), and the tests pin every offset we rely
//! on.

use libmqm_sys as mq;
use std::mem::zeroed;

/// Copies `s` into a fixed MQ character field, NUL-padded (what `strncpy` into a `{""}` default
/// does). The caller has checked the length; a longer value is cut, never overflows.
pub fn put_chars<const N: usize>(field: &mut [mq::MQCHAR; N], s: &str) {
    *field = [0; N];
    for (dst, src) in field.iter_mut().zip(s.bytes()) {
        *dst = src as mq::MQCHAR;
    }
}

/// Reads a fixed MQ character field: up to the first NUL, trailing blanks trimmed (MQ pads
/// output with blanks, C clients with NULs).
pub fn get_chars(field: &[mq::MQCHAR]) -> String {
    let bytes: Vec<u8> = field.iter().map(|&c| c as u8).take_while(|&b| b != 0).collect();
    String::from_utf8_lossy(&bytes).trim_end_matches(' ').to_string()
}

fn struc_id(id: &[u8; 4]) -> mq::MQCHAR4 {
    id.map(|b| b as mq::MQCHAR)
}

fn blanks<const N: usize>() -> [mq::MQCHAR; N] {
    [b' ' as mq::MQCHAR; N]
}

/// `MQOD_DEFAULT`: version 1, a queue, DynamicQName `AMQ.*`, VSCCSID -3 in the MQCHARVs.
pub fn mqod_default() -> mq::MQOD {
    // SAFETY: MQOD is plain integers, byte arrays and nullable pointers; all-zero is valid.
    let mut od: mq::MQOD = unsafe { zeroed() };
    od.StrucId = struc_id(b"OD  ");
    od.Version = mq::MQOD_VERSION_1;
    od.ObjectType = mq::MQOT_Q;
    put_chars(&mut od.DynamicQName, "AMQ.*");
    for v in [&mut od.ObjectString, &mut od.SelectionString, &mut od.ResObjectString] {
        v.VSCCSID = mq::MQCCSI_APPL;
    }
    od
}

/// `MQMD_DEFAULT`: version 1, datagram, native encoding, persistence as the queue defines.
pub fn mqmd_default() -> mq::MQMD {
    // SAFETY: MQMD is plain integers and byte arrays.
    let mut md: mq::MQMD = unsafe { zeroed() };
    md.StrucId = struc_id(b"MD  ");
    md.Version = mq::MQMD_VERSION_1;
    md.Report = mq::MQRO_NONE;
    md.MsgType = mq::MQMT_DATAGRAM;
    md.Expiry = mq::MQEI_UNLIMITED;
    md.Feedback = mq::MQFB_NONE;
    md.Encoding = mq::MQENC_NATIVE;
    md.CodedCharSetId = mq::MQCCSI_Q_MGR;
    md.Format = blanks();
    md.Priority = mq::MQPRI_PRIORITY_AS_Q_DEF;
    md.Persistence = mq::MQPER_PERSISTENCE_AS_Q_DEF;
    md.PutApplType = mq::MQAT_NO_CONTEXT;
    md.MsgSeqNumber = 1;
    md.OriginalLength = mq::MQOL_UNDEFINED;
    md
}

/// `MQPMO_DEFAULT`: version 1, no options, Timeout -1, PubLevel 9.
pub fn mqpmo_default() -> mq::MQPMO {
    // SAFETY: integers, arrays, nullable pointers.
    let mut pmo: mq::MQPMO = unsafe { zeroed() };
    pmo.StrucId = struc_id(b"PMO ");
    pmo.Version = mq::MQPMO_VERSION_1;
    pmo.Timeout = -1;
    pmo.PubLevel = 9;
    pmo
}

/// `MQGMO_DEFAULT`: version 1, no wait, match MsgId + CorrelId, blank status bytes.
pub fn mqgmo_default() -> mq::MQGMO {
    // SAFETY: integers and arrays.
    let mut gmo: mq::MQGMO = unsafe { zeroed() };
    gmo.StrucId = struc_id(b"GMO ");
    gmo.Version = mq::MQGMO_VERSION_1;
    gmo.MatchOptions = mq::MQMO_MATCH_MSG_ID | mq::MQMO_MATCH_CORREL_ID;
    gmo.GroupStatus = b' ' as mq::MQCHAR;
    gmo.SegmentStatus = b' ' as mq::MQCHAR;
    gmo.Segmentation = b' ' as mq::MQCHAR;
    gmo.Reserved1 = b' ' as mq::MQCHAR;
    gmo.ReturnedLength = mq::MQRL_UNDEFINED;
    gmo
}

/// `MQCNO_DEFAULT`: version 1, standard binding, ApplName blank.
pub fn mqcno_default() -> mq::MQCNO {
    // SAFETY: integers, arrays, nullable pointers.
    let mut cno: mq::MQCNO = unsafe { zeroed() };
    cno.StrucId = struc_id(b"CNO ");
    cno.Version = mq::MQCNO_VERSION_1;
    cno.ApplName = blanks();
    cno
}

/// `MQCSP_DEFAULT` with user id and password (AuthenticationType MQCSP_AUTH_USER_ID_AND_PWD);
/// the caller points CSPUserIdPtr/CSPPasswordPtr at buffers that outlive the MQCONNX.
pub fn mqcsp_user_password() -> mq::MQCSP {
    // SAFETY: integers, arrays, nullable pointers.
    let mut csp: mq::MQCSP = unsafe { zeroed() };
    csp.StrucId = struc_id(b"CSP ");
    csp.Version = mq::MQCSP_VERSION_1;
    csp.AuthenticationType = mq::MQCSP_AUTH_USER_ID_AND_PWD;
    csp
}

// cmqxc.h channel constants that libmqm-sys's MQI bindings leave out (values: docs/reference/mqi.md#channel-constants).
const MQPA_DEFAULT: mq::MQLONG = 1;
const MQMCAT_PROCESS: mq::MQLONG = 1;
const MQNPMS_FAST: mq::MQLONG = 2;
const MQKAI_AUTO: mq::MQLONG = -1;

/// `MQCD_CLIENT_CONN_DEFAULT`: a TCP client-connection channel at version 6 (the library reads
/// the first 1688 bytes), StrucLength the full size of the structure we pass.
pub fn mqcd_client_conn_default() -> mq::MQCD {
    // SAFETY: integers, arrays, nullable pointers.
    let mut cd: mq::MQCD = unsafe { zeroed() };
    cd.Version = mq::MQCD_VERSION_6;
    cd.ChannelType = mq::MQCHT_CLNTCONN;
    cd.TransportType = mq::MQXPT_TCP;
    cd.BatchSize = 50;
    cd.DiscInterval = 6000;
    cd.ShortRetryCount = 10;
    cd.ShortRetryInterval = 60;
    cd.LongRetryCount = 999_999_999;
    cd.LongRetryInterval = 1200;
    cd.SeqNumberWrap = 999_999_999;
    cd.MaxMsgLength = 4_194_304;
    cd.PutAuthority = MQPA_DEFAULT;
    cd.MCAType = MQMCAT_PROCESS;
    cd.MsgRetryCount = 10;
    cd.MsgRetryInterval = 1000;
    cd.HeartbeatInterval = 1;
    cd.NonPersistentMsgSpeed = MQNPMS_FAST;
    cd.StrucLength = std::mem::size_of::<mq::MQCD>() as mq::MQLONG;
    cd.ExitNameLength = mq::MQ_EXIT_NAME_LENGTH as mq::MQLONG;
    cd.ExitDataLength = mq::MQ_EXIT_DATA_LENGTH as mq::MQLONG;
    cd.KeepAliveInterval = MQKAI_AUTO;
    cd.HdrCompList = [mq::MQCOMPRESS_NOT_AVAILABLE; 2];
    cd.MsgCompList = [mq::MQCOMPRESS_NOT_AVAILABLE; 16];
    cd.CLWLChannelWeight = 50;
    cd.SharingConversations = 10;
    cd.MaxInstances = 999_999_999;
    cd.MaxInstancesPerClient = 999_999_999;
    cd.ConnectionAffinity = 1;
    cd.BatchDataLimit = 5000;
    cd.UseDLQ = 2;
    cd
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    // Offsets and sizes from docs/reference/mqi.md#struct-layouts (IBM's headers, x86_64).
    #[test]
    fn mqod_layout() {
        assert_eq!(size_of::<mq::MQOD>(), 424);
        assert_eq!(align_of::<mq::MQOD>(), 8);
        assert_eq!(offset_of!(mq::MQOD, Version), 4);
        assert_eq!(offset_of!(mq::MQOD, ObjectType), 8);
        assert_eq!(offset_of!(mq::MQOD, ObjectName), 12);
        assert_eq!(offset_of!(mq::MQOD, ObjectQMgrName), 60);
        assert_eq!(offset_of!(mq::MQOD, DynamicQName), 108);
        assert_eq!(offset_of!(mq::MQOD, AlternateUserId), 156);
        assert_eq!(offset_of!(mq::MQOD, ObjectRecPtr), 192);
        assert_eq!(offset_of!(mq::MQOD, ObjectString), 344);
        assert_eq!(offset_of!(mq::MQOD, ResolvedType), 416);
    }

    #[test]
    fn mqmd_layout() {
        assert_eq!(size_of::<mq::MQMD>(), 364);
        assert_eq!(align_of::<mq::MQMD>(), 4);
        assert_eq!(offset_of!(mq::MQMD, Encoding), 24);
        assert_eq!(offset_of!(mq::MQMD, Format), 32);
        assert_eq!(offset_of!(mq::MQMD, Persistence), 44);
        assert_eq!(offset_of!(mq::MQMD, MsgId), 48);
        assert_eq!(offset_of!(mq::MQMD, CorrelId), 72);
        assert_eq!(offset_of!(mq::MQMD, ReplyToQ), 100);
        assert_eq!(offset_of!(mq::MQMD, PutApplName), 276);
        assert_eq!(offset_of!(mq::MQMD, ApplOriginData), 320);
        assert_eq!(offset_of!(mq::MQMD, GroupId), 324);
        assert_eq!(offset_of!(mq::MQMD, OriginalLength), 360);
    }

    #[test]
    fn mqpmo_mqgmo_layout() {
        assert_eq!(size_of::<mq::MQPMO>(), 184);
        assert_eq!(offset_of!(mq::MQPMO, Options), 8);
        assert_eq!(offset_of!(mq::MQPMO, Timeout), 12);
        assert_eq!(offset_of!(mq::MQPMO, ResolvedQName), 32);
        assert_eq!(offset_of!(mq::MQPMO, PutMsgRecPtr), 144);
        assert_eq!(offset_of!(mq::MQPMO, PubLevel), 180);
        assert_eq!(size_of::<mq::MQGMO>(), 112);
        assert_eq!(offset_of!(mq::MQGMO, WaitInterval), 12);
        assert_eq!(offset_of!(mq::MQGMO, ResolvedQName), 24);
        assert_eq!(offset_of!(mq::MQGMO, MatchOptions), 72);
        assert_eq!(offset_of!(mq::MQGMO, GroupStatus), 76);
        assert_eq!(offset_of!(mq::MQGMO, ReturnedLength), 96);
        assert_eq!(offset_of!(mq::MQGMO, MsgHandle), 104);
    }

    #[test]
    fn mqcno_mqcsp_layout() {
        assert_eq!(size_of::<mq::MQCNO>(), 272);
        assert_eq!(offset_of!(mq::MQCNO, Options), 8);
        assert_eq!(offset_of!(mq::MQCNO, ClientConnPtr), 16);
        assert_eq!(offset_of!(mq::MQCNO, SSLConfigPtr), 152);
        assert_eq!(offset_of!(mq::MQCNO, SecurityParmsPtr), 192);
        assert_eq!(offset_of!(mq::MQCNO, ApplName), 224);
        assert_eq!(offset_of!(mq::MQCNO, BalanceParmsPtr), 256);
        assert_eq!(size_of::<mq::MQCSP>(), 104);
        assert_eq!(offset_of!(mq::MQCSP, CSPUserIdPtr), 16);
        assert_eq!(offset_of!(mq::MQCSP, CSPPasswordPtr), 40);
    }

    #[test]
    fn mqcd_layout() {
        // libmqm-sys 0.11 is generated from the MQ 10.0 headers: version 13, 2000 bytes.
        assert_eq!(size_of::<mq::MQCD>(), 2000);
        assert_eq!(offset_of!(mq::MQCD, Version), 20);
        assert_eq!(offset_of!(mq::MQCD, ChannelType), 24);
        assert_eq!(offset_of!(mq::MQCD, TransportType), 28);
        assert_eq!(offset_of!(mq::MQCD, QMgrName), 96);
        assert_eq!(offset_of!(mq::MQCD, MaxMsgLength), 844);
        assert_eq!(offset_of!(mq::MQCD, ConnectionName), 1024);
        assert_eq!(offset_of!(mq::MQCD, HeartbeatInterval), 1480);
        assert_eq!(offset_of!(mq::MQCD, StrucLength), 1492);
        assert_eq!(offset_of!(mq::MQCD, ReceiveExitsDefined), 1512);
        assert_eq!(offset_of!(mq::MQCD, MsgExitPtr), 1520);
        assert_eq!(offset_of!(mq::MQCD, KeepAliveInterval), 1736);
        assert_eq!(offset_of!(mq::MQCD, HdrCompList), 1792);
        assert_eq!(offset_of!(mq::MQCD, SharingConversations), 1884);
        assert_eq!(offset_of!(mq::MQCD, CertificateLabel), 1920);
        assert_eq!(offset_of!(mq::MQCD, QuantumSafeRequired), 1992);
    }

    fn bytes_of<T>(v: &T) -> &[u8] {
        // SAFETY: reading the bytes of a plain-data value we own.
        unsafe { std::slice::from_raw_parts(v as *const T as *const u8, size_of::<T>()) }
    }

    fn i32_at(b: &[u8], off: usize) -> i32 {
        i32::from_ne_bytes(b[off..off + 4].try_into().unwrap())
    }

    // The decoded default values of docs/reference/mqi.md#default-initialisers, checked byte-wise at IBM's offsets.
    #[test]
    fn defaults_match_ibm_macros() {
        let od = mqod_default();
        let b = bytes_of(&od);
        assert_eq!(&b[0..4], b"OD  ");
        assert_eq!(i32_at(b, 4), 1);
        assert_eq!(i32_at(b, 8), 1);
        assert_eq!(&b[108..114], b"AMQ.*\0");
        assert_eq!(i32_at(b, 344 + 20), -3);

        let md = mqmd_default();
        let b = bytes_of(&md);
        assert_eq!(&b[0..4], b"MD  ");
        assert_eq!((i32_at(b, 12), i32_at(b, 16), i32_at(b, 24)), (8, -1, 546));
        assert_eq!(&b[32..40], b"        ");
        assert_eq!((i32_at(b, 40), i32_at(b, 44)), (-1, 2));
        assert!(b[48..96].iter().all(|&x| x == 0));

        let gmo = mqgmo_default();
        let b = bytes_of(&gmo);
        assert_eq!(&b[0..4], b"GMO ");
        assert_eq!((i32_at(b, 8), i32_at(b, 12), i32_at(b, 72), i32_at(b, 96)), (0, 0, 3, -1));
        assert_eq!(&b[76..80], b"    ");

        let pmo = mqpmo_default();
        let b = bytes_of(&pmo);
        assert_eq!(&b[0..4], b"PMO ");
        assert_eq!((i32_at(b, 12), i32_at(b, 180)), (-1, 9));

        let cno = mqcno_default();
        let b = bytes_of(&cno);
        assert_eq!(&b[0..4], b"CNO ");
        assert_eq!((i32_at(b, 4), i32_at(b, 8)), (1, 0));
        assert_eq!(&b[224..252], &[b' '; 28]);

        let cd = mqcd_client_conn_default();
        let b = bytes_of(&cd);
        assert_eq!((i32_at(b, 20), i32_at(b, 24), i32_at(b, 28)), (6, 6, 2));
        assert_eq!((i32_at(b, 844), i32_at(b, 1480), i32_at(b, 1492)), (4_194_304, 1, 2000));
        assert_eq!(i32_at(b, 1736), -1);
    }

    #[test]
    fn char_fields_round_trip() {
        let mut f: mq::MQCHAR48 = [0; 48];
        put_chars(&mut f, "HA.TESTQUEUE");
        assert_eq!(get_chars(&f), "HA.TESTQUEUE");
        assert_eq!(f[12], 0);
        let blank_padded: Vec<mq::MQCHAR> = format!("{:<48}", "QM1").bytes().map(|b| b as mq::MQCHAR).collect();
        assert_eq!(get_chars(&blank_padded), "QM1");
    }
}
