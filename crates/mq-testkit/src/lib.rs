//! The one harness of mqha's integration tests: a throw-away simulated MQ installation (mq-sim) with its queue
//! managers, the built agent run as Pacemaker runs it, /proc views, and bounded waits — everything a test starts is
//! ended on Drop, also when the test fails. It is not product code and holds no assertions about the product: it
//! never ships, is only a [dev-dependencies] entry, and links no crate of the workspace (it finds the built binaries
//! beside the test binary). Its binary `mqload` (src/bin/mqload.rs, tests/README.md) is an MQI client application for
//! load through failovers; it alone uses mq-core (the MQI loader and structure defaults).

pub mod agent;
pub mod bins;
pub mod procs;
pub mod run;
pub mod sim;
pub mod wait;

pub use agent::{ocf_tester, run_with_env, xmllint, Links, Ocf, AGENTS, NO_ENV};
pub use bins::{agent_exe, built, mqsim_exe, profile_dir};
pub use procs::{alive, free_port, pid_exists, port_open, processes_under, qm_pids, Proc};
pub use run::{ids, run, run_input, Run, Spawned, User};
pub use sim::{Sim, SimQm, NHA_INSTANCES};
pub use wait::{eventually, in_secs, Awaited};
