//! ocf:mqha:ibmmq: the parameter table of the queue-manager agent and its typed parameters.

use std::path::PathBuf;

use mq_core::limits::{self, Resource, Setting};
use mq_core::qmgr::stop::EndMode;
use mq_core::qmgr::Manage;
use mq_core::QmName;

use crate::ocf::params::{ActionSpec, AgentSpec, ParamError, ParamSpec, ParamType, Values};

/// A client channel and the connection name to reach the listener with (depth-20 client check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCheck {
    pub channel: String,
    pub conname: String,
    /// The OS user the check runs as (checked on the node: not root, not in the mq group).
    pub user: Option<String>,
    /// Root-only file with the MQCSP user id and password the check presents.
    pub credentials: Option<PathBuf>,
}

/// The checked parameters of one ocf:mqha:ibmmq resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbmmqParams {
    pub qmgr: QmName,
    /// None: the running controller's effective user, else the data directory's owner, else mqm (decided on the node).
    pub mq_user: Option<String>,
    /// None: the primary installation, else /opt/mqm (decided on the node).
    pub mq_installation: Option<PathBuf>,
    /// Extra strmqm arguments, checked token by token.
    pub strmqm_options: Vec<String>,
    pub multi_instance: bool,
    /// A Native HA queue manager: three instances, a promotable clone (ibmmq/nativeha).
    pub native_ha: bool,
    /// What a stop or demote of a Native HA instance does when it would break the quorum.
    pub last_replica: LastReplica,
    pub test_queue: String,
    pub client: Option<ClientCheck>,
    pub command_server: Manage,
    pub channel_initiator: Manage,
    pub ipc_cleanup: bool,
    pub add_mqs_ini: bool,
    /// The queue manager's data directory when it is not under the installation's data path.
    pub data_path: Option<PathBuf>,
    pub stop_mode: EndMode,
    /// How long a monitor accepts the queue manager Starting with its controller running (a log replay).
    pub replay_timeout: std::time::Duration,
    /// Resource limits the `limits` parameter sets (the others: limits.conf and IBM's minimums).
    pub limits: Vec<(Resource, Setting)>,
    /// A root-owned file of NAME=value lines added to MQ programs' environment.
    pub env_file: Option<PathBuf>,
    /// Planned stops: endmqm -r (and -tp) on the first step, -s -r for a switchover.
    pub reconnect_clients: bool,
    /// A watcher on the execution controller asks Pacemaker to recover at once when it ends without a stop.
    pub crash_watch: bool,
    /// The site's own check, run as the mq user with the queue manager's name (mq_core::qmgr::program).
    pub monitor_program: Option<PathBuf>,
    /// The least OCF_CHECK_LEVEL of the monitors that run `monitor_program` (0, 10 or 20).
    pub monitor_program_level: u32,
    /// How long the queue manager may take to answer a monitor's MQI connect and inquiry (and
    /// runmqsc), and a stop's first look, before it counts as hung.
    pub hang_timeout: std::time::Duration,
}

/// native_ha_last_replica: a stop or demote that would leave fewer than two running in-sync
/// instances is refused (the action fails with the reason) or done with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastReplica {
    Refuse,
    Warn,
}

fn managed(v: &Values, name: &str) -> Manage {
    match v.str(name) {
        Some("yes") => Manage::Yes,
        Some("no") => Manage::No,
        _ => Manage::Auto,
    }
}

impl IbmmqParams {
    /// Layer-1 validation of ocf:mqha:ibmmq: the table's checks plus the rules between parameters.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<IbmmqParams, ParamError> {
        IbmmqParams::from_values(&SPEC.parse(get)?)
    }

    pub fn from_env() -> Result<IbmmqParams, ParamError> {
        IbmmqParams::from_lookup(|k| std::env::var(k).ok())
    }

    fn from_values(v: &Values) -> Result<IbmmqParams, ParamError> {
        let qmgr = super::qmgr(v)?;
        let multi_instance = v.bool("multi_instance").unwrap_or(false);
        let native_ha = v.bool("native_ha").unwrap_or(false);
        if native_ha && multi_instance {
            return Err(ParamError::Conflict(
                "native_ha=true and multi_instance=true exclude each other: a Native HA queue manager has its own data on each node, a multi-instance one shares it; set one".into(),
            ));
        }
        let strmqm_options: Vec<String> =
            v.str("strmqm_options").unwrap_or_default().split_whitespace().map(str::to_string).collect();
        // IBM's container starts Native HA instances with strmqm -x (docs/reference/native-ha.md#strmqm).
        if strmqm_options.iter().any(|w| w == "-x") && !multi_instance && !native_ha {
            return Err(ParamError::Conflict(
                "strmqm_options has -x (multi-instance start) but multi_instance is false; set multi_instance=true"
                    .into(),
            ));
        }
        let last_replica =
            if v.str("native_ha_last_replica") == Some("warn") { LastReplica::Warn } else { LastReplica::Refuse };
        let client_user = v.str("client_user").map(str::to_string);
        let client_credentials = v.path("client_credentials").cloned();
        let client = match (v.str("client_channel"), v.str("client_conname")) {
            (Some(ch), Some(cn)) => Some(ClientCheck {
                channel: ch.to_string(),
                conname: cn.to_string(),
                user: client_user,
                credentials: client_credentials,
            }),
            (None, None) => {
                if let Some(u) = client_user {
                    return Err(ParamError::Conflict(format!(
                        "client_user='{u}' needs client_channel and client_conname (the client check it runs)"
                    )));
                }
                if let Some(c) = client_credentials {
                    return Err(ParamError::Conflict(format!(
                        "client_credentials='{}' needs client_channel and client_conname (the client check it is for)",
                        c.display()
                    )));
                }
                None
            }
            (Some(ch), None) => {
                return Err(ParamError::Conflict(format!(
                    "client_channel='{ch}' needs client_conname (host(port) of the listener)"
                )))
            }
            (None, Some(cn)) => {
                return Err(ParamError::Conflict(format!(
                    "client_conname='{cn}' needs client_channel (a SVRCONN channel name)"
                )))
            }
        };
        let stop_mode = match v.str("stop_mode") {
            Some("controlled") => EndMode::Controlled,
            Some("wait") => EndMode::Wait,
            _ => EndMode::Immediate,
        };
        Ok(IbmmqParams {
            qmgr,
            mq_user: v.str("mq_user").map(str::to_string),
            mq_installation: v.path("mq_installation").cloned(),
            strmqm_options,
            multi_instance,
            native_ha,
            last_replica,
            test_queue: v.str("test_queue").unwrap_or("HA.TESTQUEUE").to_string(),
            client,
            command_server: managed(v, "command_server"),
            channel_initiator: managed(v, "channel_initiator"),
            ipc_cleanup: v.bool("ipc_cleanup").unwrap_or(false),
            add_mqs_ini: v.bool("add_mqs_ini").unwrap_or(false),
            data_path: v.path("data_path").cloned(),
            stop_mode,
            replay_timeout: std::time::Duration::from_secs(v.int("replay_timeout").unwrap_or(600) as u64),
            env_file: v.path("env_file").cloned(),
            reconnect_clients: v.bool("reconnect_clients").unwrap_or(false),
            crash_watch: v.bool("crash_watch").unwrap_or(false),
            monitor_program: v.str("monitor_program").map(PathBuf::from),
            monitor_program_level: v.str("monitor_program_level").and_then(|l| l.parse().ok()).unwrap_or(10),
            hang_timeout: std::time::Duration::from_secs(v.int("hang_timeout").unwrap_or(HANG_TIMEOUT_S as i64) as u64),
            limits: limits::parse_settings(v.str("limits").unwrap_or_default()).map_err(|why| ParamError::Invalid {
                name: "limits",
                value: v.str("limits").unwrap_or_default().escape_default().to_string(),
                why,
            })?,
        })
    }
}

/// hang_timeout's default, in seconds (docs/ibmmq.md, "Hung queue manager").
pub const HANG_TIMEOUT_S: u64 = 5;

/// The mq user and installation parameters, shared word for word by the three agents.
pub const MQ_USER: ParamSpec = ParamSpec {
    name: "mq_user",
    ty: ParamType::UserName,
    default: None,
    required: false,
    unique_group: None,
    reloadable: false,
    shortdesc: "User that runs the MQ commands",
    longdesc: "The operating-system user the agent runs the queue manager's MQ commands (strmqm, endmqm, \
runmqsc, runmqlsr, runmqtrm) and its MQI checks as; never root (uid 0 is refused). Default: the effective \
user of the queue manager's running execution controller (the Uid line of /proc/PID/status: MQ's programs are \
set-user-id), else the owner of its data directory, else mqm; a derived user must be a member of the mq \
group and not root, or the agent refuses and says to set mq_user. A user other than the owner must be a \
member of the mq group (the group of the data directory, normally mqm). The agent switches to this user \
itself (no su, no login shell).",
};

pub const MQ_INSTALLATION: ParamSpec = ParamSpec {
    name: "mq_installation",
    ty: ParamType::AbsolutePath,
    default: None,
    required: false,
    unique_group: None,
    reloadable: false,
    shortdesc: "Path of the MQ installation",
    longdesc: "The installation path (InstPath in dspmqver) whose commands and libraries are used for this \
queue manager, e.g. /opt/mqm. It must be the installation the queue manager is associated with (dspmq -o \
installation); naming another is refused (exit 6). Default: the installation the queue manager's mqs.ini stanza \
names (InstallationName, looked up in /etc/opt/mqm/mqinst.ini), else the primary installation (the /usr/bin links \
setmqinst -i makes), else /opt/mqm.",
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "qmgr",
        ty: super::QM_NAME,
        default: None,
        required: true,
        unique_group: Some("qmgr"),
        reloadable: false,
        shortdesc: "Queue manager name",
        longdesc: "Name of the queue manager this resource starts, stops and monitors, exactly as dspmq \
shows it (names are case-sensitive). The queue manager's data and log directories must be on storage that \
moves with this resource (or be shared, for a multi-instance queue manager).",
    },
    MQ_USER,
    MQ_INSTALLATION,
    ParamSpec {
        name: "strmqm_options",
        ty: super::STRMQM_OPTIONS,
        default: Some(""),
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Additional strmqm options",
        longdesc: "Options added to strmqm when the queue manager is started, separated by spaces, e.g. \
\"-ns\" to keep the queue manager from starting its channel initiator, command server, listeners and \
services itself. -x (permit a standby instance) requires multi_instance=true or native_ha=true (IBM's \
container starts Native HA instances with it). Options that do not start \
the queue manager normally (-c, -r, -a, -e) are refused.",
    },
    ParamSpec {
        name: "multi_instance",
        ty: ParamType::Boolean,
        default: Some("false"),
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Multi-instance queue manager",
        longdesc: "Set to true for a multi-instance queue manager whose data is on shared network storage \
visible to every node at once (strmqm -x), run as a promotable clone (pcs resource create ... promotable \
promoted-max=1): the promoted instance is the active queue manager, the unpromoted ones are standby \
instances that take over when it ends. start brings up a standby (or waits unpromoted when no instance \
runs anywhere), promote makes this node's instance the active one, demote switches over (endmqm -s) and \
comes back as a standby. Leave false for a queue manager on storage that Pacemaker moves (a file system or \
volume resource in the same group); promote and demote then answer 3 (not supported).",
    },
    ParamSpec {
        name: "native_ha",
        ty: ParamType::Boolean,
        default: Some("false"),
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Native HA queue manager (three instances, MQ 9.4.4 and later)",
        longdesc: "Set to true for a Native HA queue manager: three instances on three nodes, each with its own \
data and recovery log (crtmqm -lr on each, three NativeHAInstance stanzas in each qm.ini), which replicate the \
log between them and elect the active instance by quorum. Run it as a promotable clone of three (pcs \
resource create ... promotable clone-max=3 clone-node-max=1 promoted-max=1; start and promote fail with exit \
6 otherwise). MQ decides which instance is active, never Pacemaker: start runs this node's instance (strmqm; \
it becomes a replica, or MQ elects it), the monitor returns 8 where dspmq -o nativeha says ROLE(Active), 0 \
on a replica in sync and connected to the active, 190 (degraded, with the reason) on a replica out of sync, \
not connected, or without quorum, and publishes promotion scores that follow MQ's election (active 1000, \
in-sync replica 10) so that Pacemaker promotes, and places the virtual IP with, the instance MQ elected. \
promote succeeds only where MQ elected this instance (it waits within its timeout for an election under \
way) and otherwise fails naming the elected instance; demote moves the active role with endmqm -s and \
restarts the instance here as a replica; stop ends a replica with endmqm -x. Plain endmqm is never run on \
the active instance. Excludes multi_instance. docs/native-ha.md.",
    },
    ParamSpec {
        name: "native_ha_last_replica",
        ty: ParamType::Choice(&["refuse", "warn"]),
        default: Some("refuse"),
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "What a stop or demote that would break the Native HA quorum does",
        longdesc: "With native_ha=true: what stop and demote do when, as dspmq -o nativeha -x on this node \
shows the group, ending this instance would leave fewer than two running in-sync instances (the group \
could then no longer write its log, and MQ's own endmqm refuses it), or when demote finds no in-sync replica \
to take over. refuse (the default): the action fails with that reason and nothing is stopped, so a planned \
stop cannot lose the quorum silently; give stop on-fail=block so that Pacemaker leaves the instance running \
instead of fencing the node (docs/native-ha.md). warn: the reason is logged as a warning and the instance \
is ended all the same (endmqm, then killing this node's processes of the queue manager if MQ refuses).",
    },
    ParamSpec {
        name: "test_queue",
        ty: super::OBJECT_NAME,
        default: Some("HA.TESTQUEUE"),
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Queue used by the depth-20 monitor",
        longdesc: "Local queue the depth-20 monitor puts a persistent message on and gets it back from. \
The agent creates it with DEFPSIST(YES) at start when it is missing. It is the only queue whose messages \
the agent ever reads or discards: do not point it at an application queue.",
    },
    ParamSpec {
        name: "client_channel",
        ty: super::CHANNEL_NAME,
        default: None,
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Server-connection channel for the client check",
        longdesc: "A SVRCONN channel the depth-20 monitor connects through as an MQ client, to prove that \
applications can reach the queue manager over the network: a client connect and an inquiry of the queue \
manager's name, in a child process of its own. Needs client_conname. On a queue manager with IBM's default \
security the mq user is refused there (the back-stop rule CHLAUTH('*') TYPE(BLOCKUSER) USERLIST('*MQADMIN') \
and CHCKCLNT(REQDADM)): set client_user (and/or client_credentials) and define a monitoring channel for that \
user, never weaken the back-stop for the mq group. Minimal MQSC, for a user mqhamon and this channel: \
DEFINE CHANNEL(MQHA.MON.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP); \
SET CHLAUTH(MQHA.MON.SVRCONN) TYPE(ADDRESSMAP) ADDRESS('*') USERSRC(NOACCESS); \
SET CHLAUTH(MQHA.MON.SVRCONN) TYPE(USERMAP) CLNTUSER('mqhamon') USERSRC(MAP) MCAUSER('mqhamon') ADDRESS('*'); \
SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('mqhamon') AUTHADD(CONNECT,INQ) \
(the last is setmqaut -m QM -t qmgr -p mqhamon +connect +inq; narrow ADDRESS to the cluster's addresses). \
A refusal the queue manager's restart cannot fix (reasons 2035, 2058, 2393, 2537, 2540) makes the monitor \
report degraded (190) with the reason, not failed.",
    },
    ParamSpec {
        name: "client_user",
        ty: ParamType::UserName,
        default: None,
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Operating-system user the client check runs as",
        longdesc: "A dedicated, non-privileged user (not root, not the mq user, not a member of the mqm group \
or of the mq user's primary group) the client check's child process runs as; the MQ client asserts this \
user id, which the default back-stop rule does not block. Refused with exit 6 naming the value when it is \
privileged; exit 2 when it does not exist on the node. Default: the mq user (refused by a stock queue manager).",
    },
    ParamSpec {
        name: "client_credentials",
        ty: ParamType::AbsolutePath,
        default: None,
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Root-only file with the client check's MQCSP user id and password",
        longdesc: "Absolute path of a file with two lines, user=NAME and password=SECRET, that the client check \
passes in an MQCSP structure (connection authentication, checked by the queue manager against the operating \
system with AUTHINFO IDPWOS; with ADOPTCTX(YES) the connection then runs as that user). The file must be a \
regular file, not a symbolic link, owned by root, and neither readable nor writable by group or others (mode \
0600); otherwise exit 6 naming the path; exit 2 when it does not exist on the node. The user should be as \
unprivileged as client_user: the back-stop rule blocks members of the mqm group even with a valid password.",
    },
    ParamSpec {
        name: "client_conname",
        ty: super::CONNAME,
        default: None,
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Connection name for the client check",
        longdesc: "Where the depth-20 client check connects, in MQ CONNAME form, e.g. 127.0.0.1(1414) or \
the virtual IP address and port of the queue manager's listener. Needs client_channel.",
    },
    ParamSpec {
        name: "command_server",
        ty: ParamType::Choice(&["auto", "yes", "no"]),
        default: Some("auto"),
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Manage the command server",
        longdesc: "auto: when the queue manager's SCMDSERV attribute is MANUAL, the agent starts the \
command server (strmqcsv) after the queue manager and watches it; when it is QMGR the queue manager does \
that itself. yes: always start and watch it. no: leave it alone.",
    },
    ParamSpec {
        name: "channel_initiator",
        ty: ParamType::Choice(&["auto", "yes", "no"]),
        default: Some("auto"),
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Manage the channel initiator",
        longdesc: "auto: when the queue manager's SCHINIT attribute is MANUAL, the agent starts the channel \
initiator (runmqchi) after the queue manager and watches it; when it is QMGR the queue manager does that \
itself. yes: always start and watch it. no: leave it alone.",
    },
    ParamSpec {
        name: "ipc_cleanup",
        ty: ParamType::Boolean,
        default: Some("false"),
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Remove the queue manager's IPC resources after a stop",
        longdesc: "When true, stop runs amqiclen for this queue manager once no process of it is left, \
to remove shared memory and semaphores a crashed instance left behind. IBM advises against routine IPC \
cleanup, hence off by default; turn it on only if restarts fail because of leftover IPC resources.",
    },
    ParamSpec {
        name: "add_mqs_ini",
        ty: ParamType::Boolean,
        default: Some("false"),
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Add the queue manager to this node's mqs.ini",
        longdesc: "When true and this node's mqs.ini has no QueueManager stanza for the queue manager, start \
adds it from the queue manager's own data (as addmqinf does). When false, a missing stanza fails start \
with a message saying how to add it.",
    },
    ParamSpec {
        name: "data_path",
        ty: ParamType::AbsolutePath,
        default: None,
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Data directory of the queue manager, when not under the installation's data path",
        longdesc: "The queue manager's own data directory (the one holding qm.ini) when it was created \
elsewhere than under the installation's data path: what crtmqm -md DIR made, i.e. DIR/<Directory>, the \
DataPath of its mqs.ini stanza (e.g. /MQHA/qmgrs/QM1). With add_mqs_ini=true, start registers the queue \
manager on this node from it (addmqinf -v DataPath=...). While this node has no stanza yet, it is also where \
the agent looks for the data directory (whose owner is the default mq_user). Once the stanza exists, its \
DataPath is the authority; a different value here is logged as a warning. Default: the data is under the \
installation's data path (<Prefix>/qmgrs/<Directory>).",
    },
    ParamSpec {
        name: "stop_mode",
        ty: ParamType::Choice(&["immediate", "controlled", "wait"]),
        default: Some("immediate"),
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "First step of stopping the queue manager",
        longdesc: "How stop asks the queue manager to end first: immediate (endmqm -i), controlled \
(endmqm -c) or wait (endmqm -w). If it has not ended within its share of the stop timeout, stop goes on with \
endmqm -p and then kills the queue manager's own processes, so the stop always finishes within the \
timeout and leaves nothing that holds the queue manager's storage.",
    },
    ParamSpec {
        name: "replay_timeout",
        ty: ParamType::Integer { min: 1, max: 86400 },
        default: Some("600"),
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Longest log replay a monitor accepts, in seconds",
        longdesc: "A queue manager that dspmq shows Starting while its execution controller (amqzxma0) runs is replaying its recovery log: after a standby instance took over, or after a start that was not the agent's. A monitor reports it running (the depth-10 and 20 checks wait for the next monitor) until this node's monitors have seen it Starting for this many seconds; after that the monitor fails. A start of the agent's waits for the replay within the start timeout instead: give start (and promote) a timeout that covers the longest replay, and this parameter at least the same.",
    },
    ParamSpec {
        name: "hang_timeout",
        ty: ParamType::Integer { min: 1, max: 3600 },
        default: Some("5"),
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Seconds the queue manager may take to answer before it counts as hung",
        longdesc: "The depth-10 and depth-20 monitors connect to the queue manager through the MQI and inquire its \
name, and the depth-10 monitor runs runmqsc when it manages the command server or channel initiator: a queue \
manager that has not answered within this many seconds is hung, and the monitor fails at once with a reason \
naming hang_timeout (exit 1) instead of waiting for the monitor timeout; the depth-20 message round trips \
that follow have the rest of the monitor's time. A stop first looks at the queue manager the same way (and \
stats its data and log directories within the same bound): one that does not answer, that a monitor found \
hung in the last 60 seconds, or whose storage is gone, is ended with endmqm -p and then killed at once, \
without an orderly endmqm that cannot finish. A whole number of seconds, below every monitor's timeout \
(a monitor whose timeout is not above it fails with exit 6 naming both); keep it at most half of the \
shortest one. The default of 5 is many times a busy queue manager's connect time (milliseconds) and short \
enough that a hang is handled within one monitor interval; raise it for a queue manager that is slow to \
accept connections under peak load (docs/ibmmq.md, \"Hung queue manager\").",
    },
    ParamSpec {
        name: "reconnect_clients",
        ty: ParamType::Boolean,
        default: Some("false"),
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Stops are planned moves: tell reconnectable clients to reconnect",
        longdesc: "When true, the first endmqm step of a stop also has -r, so that reconnectable MQ clients \
reconnect at once (to the node the queue manager moves to, behind its virtual IP) instead of ending, and, \
on MQ 9.2 and later (dspmqver), -tp with the seconds of that step, so MQ itself escalates within the step; \
a multi-instance switchover (demote, stop of the active instance) uses endmqm -s -r. The budgets of the \
steps (half the stop timeout for the first, then endmqm -p, then killing) are unchanged. Off by default: \
endmqm without -r or -s tells reconnectable clients not to reconnect, which suits a stop that is not a move.",
    },
    ParamSpec {
        name: "crash_watch",
        ty: ParamType::Boolean,
        default: Some("false"),
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Recover at once when the queue manager crashes, not at the next monitor",
        longdesc: "When true, a successful start (or promote of the active instance) leaves a small watcher \
process (ibmmq watch, run as Pacemaker's user hacluster without capabilities) that holds a pidfd of this \
queue manager's execution controller (amqzxma0). When the controller ends without a stop, the watcher runs \
crm_resource --fail for this resource on this node once, so Pacemaker recovers it within a second instead \
of at the next monitor; it counts as one failure (migration-threshold). Stop, demote and a switchover end \
the watcher before they touch the queue manager, so they are never reported; a monitor re-arms a missing \
watcher, and one whose resource was stopped exits by itself. Needs the user hacluster and a crm_resource \
that only root can change (PATH, /usr/sbin); without them the start warns and the monitors alone find a \
crash. Changing it needs no restart: reload-agent (or the next monitor) arms or ends the watcher.",
    },
    ParamSpec {
        name: "limits",
        ty: super::LIMITS,
        default: Some(""),
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Resource limits of the queue manager's processes",
        longdesc: "Resource limits the agent sets (setrlimit, before dropping to the mq user) for every MQ \
program it runs, so strmqm and the queue manager's processes it starts (execution controller, listeners, \
command server, channel initiator) have them, e.g. \"nofile=65536 core=unlimited\". The agent starts MQ \
without a PAM session, so for each of nofile, nproc, core and stack it otherwise applies the higher of the \
mq user's pam_limits values (/etc/security/limits.conf and limits.d/*.conf, read as pam_limits reads them) \
and IBM's documented minimum (nofile 10240, nproc 4096), raising the hard limit as needed; a limit \
neither sets is inherited from Pacemaker. A value set here wins, even below IBM's minimum (the depth-10 \
monitor then warns). Takes effect at the next start.",
    },
    ParamSpec {
        name: "env_file",
        ty: ParamType::AbsolutePath,
        default: None,
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "File of environment variables for the queue manager",
        longdesc: "A file of NAME=value lines (blank lines and # comments allowed; no quotes, no export, no \
shell expansion: the value is taken as written) whose variables are added to the clean environment of \
every MQ program the agent runs, strmqm included, so the queue manager's processes have them: what an \
XA resource manager needs (DB2INSTANCE, ORACLE_HOME, ORACLE_SID, LD_LIBRARY_PATH for switch files) or \
IBM's AMQ_* and MQS_* tuning variables. It must be a regular file owned by root and not writable by group \
or others, named directly (not through a symbolic link), on every node. PATH, HOME, USER, LOGNAME, LANG, \
LC_ALL (the agent sets them), LD_PRELOAD, LD_AUDIT, MQ_CONNECT_TYPE, MQSERVER, MQCHLLIB, MQCHLTAB and \
MQCCDTURL are refused. A bad line or file fails with exit 6 naming the file and line. The file is read by \
every action; a change reaches the running queue manager at its next start.",
    },
    ParamSpec {
        name: "monitor_program",
        ty: super::MONITOR_PROGRAM,
        default: None,
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "The site's own check of what runs on the queue manager",
        longdesc: "Absolute path of a program of the site's that says whether the application built on the \
queue manager is healthy (as ClusterLabs' monitor_program and Veritas' MonitorProgram). Recurring monitors \
of at least monitor_program_level run it, after the agent's own checks have passed and only where the queue \
manager is running and active: never in a probe, nor at start, nor on a multi-instance standby, nor while a \
log replay is accepted as running. It runs as the mq user (never root, with no privileges from set-user-id \
bits or file capabilities), with the queue manager's name as its one argument, the environment of the \
agent's MQ commands (the installation's bin first in PATH, HOME, USER, LOGNAME, LANG=C, and env_file's \
variables), stdin from /dev/null and / as its working directory, in a process group of its own, within \
what is left of the monitor's timeout. Exit 0 passes; any other exit fails the monitor (exit 1, so \
Pacemaker recovers the queue manager; 9 on the promoted instance of a multi-instance queue manager) with \
the program's first line of output (stdout, else stderr; at most 160 characters) as the reason. A program \
still running at the monitor's deadline is killed with its process group and the monitor fails; the group \
is killed when the program exits too, so leave nothing running in the background. The file and every \
directory on its path must be owned by root and not writable by group or others, with no symbolic link \
among them; the file must be executable by the mq user and neither set-user-id nor set-group-id. Otherwise \
validate-all (depth 10), start, reload and monitor fail with exit 6 naming the value, as they do when it \
does not exist on the node.",
    },
    ParamSpec {
        name: "monitor_program_level",
        ty: ParamType::Choice(&["0", "10", "20"]),
        default: Some("10"),
        required: false,
        unique_group: None,
        reloadable: true,
        shortdesc: "Least monitor depth that runs monitor_program",
        longdesc: "The recurring monitors whose OCF_CHECK_LEVEL is at least this run monitor_program: 10 (the \
default) runs it beside the MQI check of the depth-10 monitor and in the depth-20 monitor, leaving the \
frequent depth-0 monitor cheap (a second-level check, as Veritas runs MonitorProgram); 0 runs it in every \
recurring monitor (as ClusterLabs' agent does); 20 only in the depth-20 monitor.",
    },
    super::TRACE_RA,
    super::TRACE_FILE,
];

const ACTIONS: &[ActionSpec] = &[
    ActionSpec { name: "start", timeout_s: 120, interval_s: None, depth: None, role: None },
    ActionSpec { name: "stop", timeout_s: 120, interval_s: None, depth: None, role: None },
    ActionSpec { name: "monitor", timeout_s: 60, interval_s: Some(20), depth: Some(0), role: None },
    ActionSpec { name: "monitor", timeout_s: 60, interval_s: Some(60), depth: Some(10), role: None },
    ActionSpec { name: "monitor", timeout_s: 90, interval_s: Some(120), depth: Some(20), role: None },
    // A promotable clone (multi_instance=true): one monitor per role, at intervals of their own.
    ActionSpec { name: "monitor", timeout_s: 60, interval_s: Some(15), depth: Some(0), role: Some("Promoted") },
    ActionSpec { name: "monitor", timeout_s: 60, interval_s: Some(25), depth: Some(0), role: Some("Unpromoted") },
    ActionSpec { name: "promote", timeout_s: 120, interval_s: None, depth: None, role: None },
    ActionSpec { name: "demote", timeout_s: 120, interval_s: None, depth: None, role: None },
    ActionSpec { name: "notify", timeout_s: 30, interval_s: None, depth: None, role: None },
    ActionSpec { name: "validate-all", timeout_s: 30, interval_s: None, depth: None, role: None },
    ActionSpec { name: "reload-agent", timeout_s: 30, interval_s: None, depth: None, role: None },
    ActionSpec { name: "meta-data", timeout_s: 5, interval_s: None, depth: None, role: None },
];

pub const SPEC: AgentSpec = AgentSpec {
    name: "ibmmq",
    version: super::VERSION,
    shortdesc: "IBM MQ queue manager",
    longdesc: "Manages one IBM MQ queue manager: starts it with strmqm once this node is fit to run it \
(mq user and group ids, data and log directories, mqs.ini), stops it with endmqm, escalating to a \
pre-emptive end and then to killing only this queue manager's processes within the stop timeout, and \
monitors it at three depths: 0 checks its processes and dspmq state, 10 connects to it through the MQI, \
20 puts and gets a persistent message on a test queue (and, if configured, does the same as an MQ client \
through the listener). Listeners and trigger monitors are separate resources (ocf:mqha:ibmmq-listener, \
ocf:mqha:ibmmq-trigger) placed after the queue manager, so a failed one is restarted on its own.",
    params: PARAMS,
    actions: ACTIONS,
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn params(vars: &[(&str, &str)]) -> Result<IbmmqParams, ParamError> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())).collect();
        IbmmqParams::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let p = params(&[("qmgr", "QM1")]).unwrap();
        assert_eq!(p.qmgr.as_str(), "QM1");
        assert_eq!(p.mq_user, None);
        assert_eq!(p.mq_installation, None);
        assert!(p.strmqm_options.is_empty());
        assert!(!p.multi_instance);
        assert!(!p.native_ha);
        assert_eq!(p.last_replica, LastReplica::Refuse);
        assert_eq!(p.test_queue, "HA.TESTQUEUE");
        assert_eq!(p.client, None);
        assert_eq!(p.command_server, Manage::Auto);
        assert_eq!(p.channel_initiator, Manage::Auto);
        assert!(!p.ipc_cleanup && !p.add_mqs_ini);
        assert_eq!(p.data_path, None);
        assert_eq!(p.stop_mode, EndMode::Immediate);
        assert_eq!(p.hang_timeout, std::time::Duration::from_secs(5));
    }

    #[test]
    fn cross_parameter_rules() {
        assert!(params(&[("qmgr", "QM1"), ("strmqm_options", "-x")])
            .unwrap_err()
            .to_string()
            .contains("multi_instance"));
        assert_eq!(
            params(&[("qmgr", "QM1"), ("strmqm_options", "-x"), ("multi_instance", "true")]).unwrap().strmqm_options,
            vec!["-x"]
        );
        let e = params(&[("qmgr", "QM1"), ("native_ha", "true"), ("multi_instance", "true")]).unwrap_err().to_string();
        assert!(e.contains("native_ha") && e.contains("multi_instance"), "{e}");
        let p = params(&[("qmgr", "QM1"), ("native_ha", "true"), ("strmqm_options", "-x")]).unwrap();
        assert!(p.native_ha && p.strmqm_options == ["-x"]);
        let p = params(&[("qmgr", "QM1"), ("native_ha", "true"), ("native_ha_last_replica", "warn")]).unwrap();
        assert_eq!(p.last_replica, LastReplica::Warn);
        assert!(params(&[("qmgr", "QM1"), ("native_ha_last_replica", "sometimes")])
            .unwrap_err()
            .to_string()
            .contains("'sometimes'"));
        assert!(params(&[("qmgr", "QM1"), ("client_channel", "APP.SVRCONN")])
            .unwrap_err()
            .to_string()
            .contains("client_conname"));
        assert!(params(&[("qmgr", "QM1"), ("client_conname", "h(1)")])
            .unwrap_err()
            .to_string()
            .contains("client_channel"));
        let p = params(&[
            ("qmgr", "QM1"),
            ("client_channel", "APP.SVRCONN"),
            ("client_conname", "127.0.0.1(1414)"),
            ("stop_mode", "wait"),
            ("command_server", "no"),
        ])
        .unwrap();
        assert_eq!(
            p.client,
            Some(ClientCheck {
                channel: "APP.SVRCONN".into(),
                conname: "127.0.0.1(1414)".into(),
                user: None,
                credentials: None
            })
        );
        let e = params(&[("qmgr", "QM1"), ("client_user", "mqhamon")]).unwrap_err().to_string();
        assert!(e.contains("client_user='mqhamon'") && e.contains("client_channel"), "{e}");
        assert_eq!(p.stop_mode, EndMode::Wait);
        assert_eq!(p.command_server, Manage::No);
    }

    #[test]
    fn mq_rules_complete_the_parameter_and_value() {
        let only = "only A-Z a-z 0-9 . / _ % are allowed";
        let long = "A".repeat(49);
        let cases: &[(&str, &str, String)] = &[
            ("qmgr", "QM 1", format!("qmgr='QM 1' has ' ' at position 3; {only}")),
            ("qmgr", "QM'1", format!("qmgr='QM\\'1' has '\\'' at position 3; {only}")),
            ("qmgr", &long, format!("qmgr='{long}' is 49 characters long; MQ allows at most 48")),
            ("strmqm_options", "-c'", "strmqm_options='-c'' has '-c'', which the agent does not pass to strmqm".into()),
            (
                "strmqm_options",
                "-d Verbose",
                "strmqm_options='-d Verbose' has '-d Verbose'; -d takes Information, All or Minimal".into(),
            ),
            ("test_queue", "A B", format!("test_queue='A B' has ' ' at position 2; {only}")),
            (
                "client_channel",
                "A.VERY.LONG.CHANNEL.NAME",
                "client_channel='A.VERY.LONG.CHANNEL.NAME' is 24 characters long; at most 20 are allowed".into(),
            ),
            ("client_conname", "host(99999)", "client_conname='host(99999)' has a bad port '99999' (1-65535)".into()),
            ("mq_user", "mq$(id)", "mq_user='mq$(id)' is not a valid user name".into()),
        ];
        for (name, value, want) in cases {
            let vars: &[(&str, &str)] =
                if *name == "qmgr" { &[("qmgr", value)] } else { &[("qmgr", "Q"), (name, value)] };
            assert_eq!(&params(vars).unwrap_err().to_string(), want);
        }
    }

    #[test]
    fn bad_values_are_named() {
        assert_eq!(params(&[]).unwrap_err().to_string(), "parameter 'qmgr' is required");
        assert!(params(&[("qmgr", "QM1"), ("mq_installation", "opt/mqm")])
            .unwrap_err()
            .to_string()
            .contains("'opt/mqm'"));
        assert!(params(&[("qmgr", "QM1"), ("data_path", "MQHA/qmgrs/QM1")])
            .unwrap_err()
            .to_string()
            .contains("'MQHA/qmgrs/QM1'"));
        assert_eq!(
            params(&[("qmgr", "QM1"), ("data_path", "/MQHA/qmgrs/QM1")]).unwrap().data_path,
            Some(PathBuf::from("/MQHA/qmgrs/QM1"))
        );
        assert!(params(&[("qmgr", "QM1"), ("test_queue", "A B")]).unwrap_err().to_string().contains("'A B'"));
        assert!(params(&[("qmgr", "QM1"), ("stop_mode", "gentle")]).unwrap_err().to_string().contains("'gentle'"));
        for bad in ["0", "-5", "2.5", "five"] {
            let e = params(&[("qmgr", "QM1"), ("hang_timeout", bad)]).map(|p| p.hang_timeout);
            assert!(e.as_ref().is_err_and(|e| e.to_string().contains("hang_timeout")), "{bad}: {e:?}");
        }
        assert_eq!(params(&[("qmgr", "QM1"), ("hang_timeout", "12")]).unwrap().hang_timeout.as_secs(), 12);
    }
}
