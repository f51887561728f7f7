//! MQI completion and reason codes: their IBM names, and what an administrator should change when a
//! probe meets one. Pure lookups, no I/O.

/// IBM's name of a reason code (docs/reference/mqi.md#reason-codes), or `None` for one this table does not carry.
pub fn reason_name(reason: i32) -> Option<&'static str> {
    Some(match reason {
        0 => "MQRC_NONE",
        2002 => "MQRC_ALREADY_CONNECTED",
        2005 => "MQRC_BUFFER_LENGTH_ERROR",
        2006 => "MQRC_CHAR_ATTR_LENGTH_ERROR",
        2008 => "MQRC_CHAR_ATTRS_TOO_SHORT",
        2009 => "MQRC_CONNECTION_BROKEN",
        2011 => "MQRC_DYNAMIC_Q_NAME_ERROR",
        2012 => "MQRC_ENVIRONMENT_ERROR",
        2016 => "MQRC_GET_INHIBITED",
        2018 => "MQRC_HCONN_ERROR",
        2019 => "MQRC_HOBJ_ERROR",
        2021 => "MQRC_INT_ATTR_COUNT_ERROR",
        2022 => "MQRC_INT_ATTR_COUNT_TOO_SMALL",
        2024 => "MQRC_SYNCPOINT_LIMIT_REACHED",
        2025 => "MQRC_MAX_CONNS_LIMIT_REACHED",
        2026 => "MQRC_MD_ERROR",
        2030 => "MQRC_MSG_TOO_BIG_FOR_Q",
        2033 => "MQRC_NO_MSG_AVAILABLE",
        2035 => "MQRC_NOT_AUTHORIZED",
        2037 => "MQRC_NOT_OPEN_FOR_INPUT",
        2038 => "MQRC_NOT_OPEN_FOR_INQUIRE",
        2039 => "MQRC_NOT_OPEN_FOR_OUTPUT",
        2042 => "MQRC_OBJECT_IN_USE",
        2043 => "MQRC_OBJECT_TYPE_ERROR",
        2044 => "MQRC_OD_ERROR",
        2045 => "MQRC_OPTION_NOT_VALID_FOR_TYPE",
        2046 => "MQRC_OPTIONS_ERROR",
        2048 => "MQRC_PERSISTENT_NOT_ALLOWED",
        2051 => "MQRC_PUT_INHIBITED",
        2052 => "MQRC_Q_DELETED",
        2053 => "MQRC_Q_FULL",
        2055 => "MQRC_Q_NOT_EMPTY",
        2058 => "MQRC_Q_MGR_NAME_ERROR",
        2059 => "MQRC_Q_MGR_NOT_AVAILABLE",
        2063 => "MQRC_SECURITY_ERROR",
        2065 => "MQRC_SELECTOR_COUNT_ERROR",
        2067 => "MQRC_SELECTOR_ERROR",
        2068 => "MQRC_SELECTOR_NOT_FOR_TYPE",
        2071 => "MQRC_STORAGE_NOT_AVAILABLE",
        2079 => "MQRC_TRUNCATED_MSG_ACCEPTED",
        2080 => "MQRC_TRUNCATED_MSG_FAILED",
        2085 => "MQRC_UNKNOWN_OBJECT_NAME",
        2100 => "MQRC_OBJECT_ALREADY_EXISTS",
        2101 => "MQRC_OBJECT_DAMAGED",
        2102 => "MQRC_RESOURCE_PROBLEM",
        2103 => "MQRC_ANOTHER_Q_MGR_CONNECTED",
        2139 => "MQRC_CNO_ERROR",
        2152 => "MQRC_OBJECT_NAME_ERROR",
        2153 => "MQRC_OBJECT_Q_MGR_NAME_ERROR",
        2161 => "MQRC_Q_MGR_QUIESCING",
        2162 => "MQRC_Q_MGR_STOPPING",
        2173 => "MQRC_PMO_ERROR",
        2186 => "MQRC_GMO_ERROR",
        2195 => "MQRC_UNEXPECTED_ERROR",
        2202 => "MQRC_CONNECTION_QUIESCING",
        2203 => "MQRC_CONNECTION_STOPPING",
        2217 => "MQRC_CONNECTION_NOT_AUTHORIZED",
        2219 => "MQRC_CALL_IN_PROGRESS",
        2223 => "MQRC_Q_MGR_NOT_ACTIVE",
        2273 => "MQRC_CONNECTION_ERROR",
        2277 => "MQRC_CD_ERROR",
        2278 => "MQRC_CLIENT_CONN_ERROR",
        2298 => "MQRC_FUNCTION_NOT_SUPPORTED",
        2393 => "MQRC_SSL_INITIALIZATION_ERROR",
        2537 => "MQRC_CHANNEL_NOT_AVAILABLE",
        2538 => "MQRC_HOST_NOT_AVAILABLE",
        2539 => "MQRC_CHANNEL_CONFIG_ERROR",
        2540 => "MQRC_UNKNOWN_CHANNEL_NAME",
        2543 => "MQRC_STANDBY_Q_MGR",
        2548 => "MQRC_RECONNECT_FAILED",
        2590 => "MQRC_FASTPATH_NOT_AVAILABLE",
        2594 => "MQRC_PASSWORD_PROTECTION_ERROR",
        2595 => "MQRC_CSP_ERROR",
        _ => return None,
    })
}

/// `"2059 MQRC_Q_MGR_NOT_AVAILABLE"`, or the bare number for a reason without a known name.
pub fn describe_reason(reason: i32) -> String {
    match reason_name(reason) {
        Some(name) => format!("{reason} {name}"),
        None => reason.to_string(),
    }
}

/// IBM's name of a completion code.
pub fn completion_name(cc: i32) -> &'static str {
    match cc {
        0 => "MQCC_OK",
        1 => "MQCC_WARNING",
        2 => "MQCC_FAILED",
        _ => "MQCC_UNKNOWN",
    }
}

/// What a failing reason says about the queue manager, so the caller can choose an exit code
/// without knowing reason numbers (a judgement: docs/reference/mqi.md#reason-classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonClass {
    /// The queue manager is down, ending, or cannot be reached (2059, 2009, 2161, 2162, 2538 ...).
    Unavailable,
    /// A standby instance answered (2543 MQRC_STANDBY_Q_MGR): the queue manager runs, as a
    /// standby where the connection went; not "down" (docs/reference/mqi.md#standby-reason).
    Standby,
    /// Something is defined wrongly: a name, a channel, an object (2058, 2540, 2085 ...).
    Configuration,
    /// The connecting user may not do this (2035, 2063, 2217 ...).
    Security,
    /// The queue manager is short of a resource: log, storage, queue depth (2102, 2053, 2071 ...).
    Resource,
    /// Anything else, including the probe's own misuse of the MQI.
    Other,
}

pub fn classify(reason: i32) -> ReasonClass {
    match reason {
        2009 | 2059 | 2161 | 2162 | 2202 | 2203 | 2223 | 2537 | 2538 | 2548 => ReasonClass::Unavailable,
        2543 => ReasonClass::Standby,
        2058 | 2085 | 2152 | 2153 | 2277 | 2278 | 2139 | 2539 | 2540 | 2011 | 2016 | 2051 => ReasonClass::Configuration,
        2035 | 2063 | 2217 | 2393 | 2594 => ReasonClass::Security,
        2024 | 2025 | 2053 | 2071 | 2102 | 2101 => ReasonClass::Resource,
        _ => ReasonClass::Other,
    }
}

/// Whether the connection the failing call belonged to was a client (network) connection; the
/// right advice for 2035 and 2059 differs between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionKind {
    Bindings,
    Client,
}

/// The object a failing step named, with its role: the advice for a missing test queue (created
/// at start) differs from that for a missing model queue or channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeObject {
    TestQueue(String),
    ModelQueue(String),
    Queue(String),
    Channel(String),
}

impl ProbeObject {
    pub fn name(&self) -> &str {
        match self {
            ProbeObject::TestQueue(n)
            | ProbeObject::ModelQueue(n)
            | ProbeObject::Queue(n)
            | ProbeObject::Channel(n) => n,
        }
    }
}

/// Reasons of a client check that restarting the queue manager cannot fix: its security or
/// channel configuration refuses the check, the queue manager itself is serving. The monitor
/// reports them as degraded (OCF 190) instead of failed, so Pacemaker does not bounce a healthy
/// queue manager over a security setting (docs/ibmmq.md "Client check"). Not in the list: 2059
/// and 2538 (nothing answers at the connection name: a dead listener or a queue manager that is
/// not there, which a restart or failover can fix), 2009 (a broken connection).
pub fn restart_cannot_fix(reason: i32) -> bool {
    matches!(
        reason,
        // NOT_AUTHORIZED: CHLAUTH, CONNAUTH or OAM refused the check's user; the same after a restart.
        2035
        // UNKNOWN_CHANNEL_NAME: client_channel is not defined; definitions survive a restart.
        | 2540
        // SSL_INITIALIZATION_ERROR: the channel wants TLS the check does not offer; configuration.
        | 2393
        // Q_MGR_NAME_ERROR: the listener at client_conname belongs to another queue manager.
        | 2058
        // CHANNEL_NOT_AVAILABLE: the channel is STOPPED or at MAXINST; a stopped channel stays so.
        | 2537
        // STANDBY_Q_MGR: client_conname reaches the standby instance; restarting the active cannot
        // move where the connection name points (docs/reference/mqi.md#standby-reason).
        | 2543
    )
}

/// What to change in a few words, for a reason to fit where only the start of a line is kept
/// (the full `hint` goes to the log).
pub fn short_hint(reason: i32, kind: ConnectionKind) -> Option<&'static str> {
    Some(match (reason, kind) {
        (2035, ConnectionKind::Client) => "set client_user and its monitoring channel (man ocf_mqha_ibmmq)",
        (2035, ConnectionKind::Bindings) => "grant the mq user access (setmqaut)",
        (2540, _) => "DEFINE the SVRCONN channel or fix client_channel",
        (2538, _) => "is the listener running at client_conname?",
        (2543, ConnectionKind::Client) => "client_conname reaches a standby instance, not the active",
        (2053, _) => "the test queue is full",
        _ => return None,
    })
}

/// What an administrator should change, for the reasons where that is known.
pub fn hint(reason: i32, kind: ConnectionKind, object: Option<&ProbeObject>) -> Option<String> {
    let channel = match object {
        Some(ProbeObject::Channel(c)) => c.as_str(),
        _ => "the channel",
    };
    Some(match (reason, kind) {
        (2035, ConnectionKind::Client) => format!(
            "the queue manager refused the client connection on {channel} (its error log names the \
             rule: AMQ9776E/AMQ9777E channel authentication, AMQ5534E/AMQ5540E connection \
             authentication, AMQ8077W authority); run the check as a dedicated user outside the mq \
             group (client_user) on a monitoring channel whose CHLAUTH USERMAP rule maps that user \
             and grant it connect and inq on the queue manager (SET AUTHREC or setmqaut), as the \
             README's monitoring-channel MQSC shows; do not weaken the back-stop rule for the mq group"
        ),
        (2035, ConnectionKind::Bindings) => format!(
            "the probe's user is not authorised for {}: grant it with setmqaut (connect, inq, \
             put, get) or check that it is a member of the mq group",
            object.map_or("the queue manager", |o| o.name())
        ),
        (2059, ConnectionKind::Bindings) => {
            "the queue manager is not running on this node (check dspmq and its error log)".into()
        }
        (2059, ConnectionKind::Client) => "nothing answered as this queue manager at the \
             connection name: check that the listener runs and that the connection name reaches \
             this queue manager"
            .into(),
        (2538, _) => "no listener accepts connections at the connection name: start the listener \
                      (or its cluster resource) and check the host(port) and the virtual IP"
            .into(),
        (2540, _) => format!(
            "{channel} is not defined on the queue manager: DEFINE CHANNEL({channel}) \
             CHLTYPE(SVRCONN) TRPTYPE(TCP), or correct the client channel parameter"
        ),
        (2537, _) => {
            format!("{channel} is not available: it may be stopped, blocked, or at MAXINST/MAXINSTC")
        }
        (2085, _) => match object? {
            ProbeObject::TestQueue(q) => format!(
                "the test queue {q} does not exist; it is created at start (restart the resource, \
                 or DEFINE QLOCAL({q}) DEFPSIST(YES))"
            ),
            ProbeObject::ModelQueue(m) => {
                format!("the model queue {m} is not defined: DEFINE QMODEL({m}) DEFTYPE(TEMPDYN)")
            }
            o => format!("{} is not defined on the queue manager", o.name()),
        },
        (2058, _) => "the queue manager name is not known to this installation (check mqs.ini \
                      and the qmgr parameter)"
            .into(),
        (2161 | 2162 | 2202 | 2203, _) => {
            "the queue manager is ending; a monitor during a stop is expected to see this".into()
        }
        (2009, _) => "the connection to the queue manager broke: the queue manager may have \
                      ended or failed; check its error log (AMQERR01.LOG)"
            .into(),
        (2102, _) => "the queue manager has a resource problem, often a full recovery log: check \
                      the log file system and the queue manager's error log"
            .into(),
        (2053, _) => format!("{} is full: clear it or raise MAXDEPTH", object?.name()),
        (2051, _) => {
            let q = object?.name();
            format!("puts are inhibited on {q}: ALTER QLOCAL({q}) PUT(ENABLED)")
        }
        (2016, _) => {
            let q = object?.name();
            format!("gets are inhibited on {q}: ALTER QLOCAL({q}) GET(ENABLED)")
        }
        (2543, ConnectionKind::Client) => "the connection name reached a standby instance of this \
             queue manager, not the active one: point the connection name at the active instance \
             (its virtual IP or its node)"
            .into(),
        (2543, ConnectionKind::Bindings) => "this queue manager instance is a standby (multi-instance)".into(),
        (2012, _) => "the MQI refused the calling environment (the library was used in a process \
                      forked after MQI calls); report this as a defect"
            .into(),
        (2025, _) => "the queue manager's connection limit (MAXHANDS/MaxChannels) is reached".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_reasons_the_brief_lists() {
        for (rc, name) in [
            (2035, "MQRC_NOT_AUTHORIZED"),
            (2059, "MQRC_Q_MGR_NOT_AVAILABLE"),
            (2538, "MQRC_HOST_NOT_AVAILABLE"),
            (2540, "MQRC_UNKNOWN_CHANNEL_NAME"),
            (2085, "MQRC_UNKNOWN_OBJECT_NAME"),
            (2009, "MQRC_CONNECTION_BROKEN"),
            (2161, "MQRC_Q_MGR_QUIESCING"),
            (2162, "MQRC_Q_MGR_STOPPING"),
            (2102, "MQRC_RESOURCE_PROBLEM"),
            (2058, "MQRC_Q_MGR_NAME_ERROR"),
        ] {
            assert_eq!(reason_name(rc), Some(name), "{rc}");
        }
        assert_eq!(describe_reason(2059), "2059 MQRC_Q_MGR_NOT_AVAILABLE");
        assert_eq!(describe_reason(9999), "9999");
    }

    #[test]
    fn names_agree_with_libmqm_sys_constants() {
        use libmqm_sys as mq;
        for rc in [
            mq::MQRC_NOT_AUTHORIZED,
            mq::MQRC_Q_MGR_NOT_AVAILABLE,
            mq::MQRC_HOST_NOT_AVAILABLE,
            mq::MQRC_UNKNOWN_CHANNEL_NAME,
            mq::MQRC_UNKNOWN_OBJECT_NAME,
            mq::MQRC_CONNECTION_BROKEN,
            mq::MQRC_Q_MGR_QUIESCING,
            mq::MQRC_Q_MGR_STOPPING,
            mq::MQRC_RESOURCE_PROBLEM,
            mq::MQRC_PERSISTENT_NOT_ALLOWED,
            mq::MQRC_STANDBY_Q_MGR,
        ] {
            assert!(reason_name(rc).is_some(), "{rc}");
        }
        assert_eq!(reason_name(mq::MQRC_NOT_AUTHORIZED), Some("MQRC_NOT_AUTHORIZED"));
        assert_eq!(reason_name(mq::MQRC_STANDBY_Q_MGR), Some("MQRC_STANDBY_Q_MGR"));
    }

    #[test]
    fn client_2035_hint_points_at_client_user_and_never_at_weakening_the_back_stop() {
        let h = hint(2035, ConnectionKind::Client, Some(&ProbeObject::Channel("APP.SVRCONN".into()))).unwrap();
        assert!(h.contains("client_user") && h.contains("USERMAP") && h.contains("APP.SVRCONN"), "{h}");
        for weaker in ["CHLAUTH(DISABLED)", "CHCKCLNT(OPTIONAL)", "USERLIST"] {
            assert!(!h.contains(weaker), "{h}");
        }
        let s = short_hint(2035, ConnectionKind::Client).unwrap();
        assert!(s.contains("client_user") && !s.contains("OPTIONAL"), "{s}");
        let b = hint(2035, ConnectionKind::Bindings, Some(&ProbeObject::TestQueue("HA.TESTQUEUE".into()))).unwrap();
        assert!(b.contains("setmqaut") && !b.contains("CHLAUTH"), "{b}");
    }

    #[test]
    fn test_queue_2085_hint_says_it_is_created_at_start() {
        let h = hint(2085, ConnectionKind::Bindings, Some(&ProbeObject::TestQueue("HA.TESTQUEUE".into()))).unwrap();
        assert!(h.contains("HA.TESTQUEUE") && h.contains("created at start"), "{h}");
        let m = hint(2085, ConnectionKind::Bindings, Some(&ProbeObject::ModelQueue("M".into()))).unwrap();
        assert!(m.contains("QMODEL(M)") && !m.contains("at start"), "{m}");
        assert_eq!(hint(2085, ConnectionKind::Bindings, None), None);
    }

    #[test]
    fn classification() {
        assert_eq!(classify(2059), ReasonClass::Unavailable);
        assert_eq!(classify(2538), ReasonClass::Unavailable);
        // A standby answering is not a queue manager that is down.
        assert_eq!(classify(2543), ReasonClass::Standby);
        assert!(hint(2543, ConnectionKind::Client, None).unwrap().contains("standby instance"));
        assert!(short_hint(2543, ConnectionKind::Client).unwrap().contains("standby"));
        assert_eq!(classify(2035), ReasonClass::Security);
        assert_eq!(classify(2540), ReasonClass::Configuration);
        assert_eq!(classify(2102), ReasonClass::Resource);
        assert_eq!(classify(2033), ReasonClass::Other);
        assert_eq!(hint(2033, ConnectionKind::Bindings, None), None);
    }
}
