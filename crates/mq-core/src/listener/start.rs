//! Starting a listener: a runmqlsr the agent spawns, or START LISTENER for a LISTENER object;
//! done when our runmqlsr holds the listening socket and the port accepts a connection.

use std::time::{Duration, Instant};

use super::{
    alter_and_start_mqsc, alter_mqsc, decide, net, runmqlsr_args, Health, Listener, ListenerError, Runmqlsr, Started,
    APPEAR_WITHIN, RUNMQLSR,
};
use crate::deadline::poll_until;
use crate::error::MqError;
use crate::placement::Placement;
use crate::procs::{self, Ending};
use crate::qmgr::{Journal, Level};
use crate::Deadline;

impl Listener {
    /// Starts the listener and returns once our runmqlsr holds the socket and the port accepts.
    pub fn start(&self, at: &Placement, deadline: Deadline, j: &dyn Journal) -> Result<Started, ListenerError> {
        let addr = self.address();
        if !self.processes(deadline.child(0.25).instant())?.is_empty() {
            let serving = || {
                let o = self.observe(Duration::from_millis(500), deadline.instant()).ok()?;
                (decide(&o, addr) == Health::Serving).then_some(())
            };
            if poll_until(deadline, serving).is_none() {
                return Err(ListenerError::NotServing { qm: self.qm.clone(), port: self.port, addr });
            }
            j.note(Level::Info, &format!("{} is already running", self.describe()));
            if let Some(object) = &self.object {
                // The queue manager may have started it (CONTROL(QMGR)): align the object anyway.
                let script = alter_mqsc(object, self.port, self.ipaddr, self.backlog);
                if let Err(why) = self.mqsc(at, &script, deadline) {
                    j.note(Level::Warn, &format!("could not align LISTENER({object}): {why}"));
                }
            }
            return Ok(Started::AlreadyRunning);
        }
        if !procs::queue_manager_runs(&self.qm, &self.inst, deadline.child(0.25).instant())
            .map_err(ListenerError::Scan)?
        {
            return Err(ListenerError::QmNotRunning(self.qm.clone()));
        }
        if let Some(h) = net::port_holders(self.port, self.ipaddr, deadline.child(0.25).instant()).first() {
            return Err(ListenerError::PortHeld { port: self.port, holder: h.describe() });
        }
        match &self.object {
            Some(object) => {
                let script = alter_and_start_mqsc(object, self.port, self.ipaddr, self.backlog);
                j.note(Level::Info, &format!("runmqsc {}: {}", self.qm, script.trim().replace('\n', "; ")));
                self.mqsc(at, &script, deadline.child(0.5))?;
            }
            None => {
                let args = runmqlsr_args(self.qm.as_str(), self.port, self.ipaddr, self.backlog);
                j.note(Level::Info, &format!("starting runmqlsr {} as {}", args.join(" "), at.user.name));
                at.runner().spawn_detached(&at.installation.bin(RUNMQLSR), &args).map_err(MqError::from)?;
            }
        }
        // Up means: our runmqlsr is there and holds the socket (a connection accepted by another
        // program proves nothing) and the port accepts. One that exits, or never shows up, ends
        // the wait early.
        let spawned = Instant::now();
        let mut seen = false;
        let up = poll_until(deadline, || {
            // A look without an answer in time says nothing: look again.
            let o = self.observe(Duration::from_millis(200), deadline.instant()).ok()?;
            seen |= !o.procs.is_empty();
            if o.procs.is_empty() && (seen || spawned.elapsed() > APPEAR_WITHIN) {
                return Some(false);
            }
            (decide(&o, addr) == Health::Serving).then_some(true)
        });
        if up != Some(true) {
            // Leave nothing behind of a start that failed.
            let _ = procs::end(&Runmqlsr(self), Ending::TermFirst, deadline.cleanup().instant(), j);
        }
        match up {
            Some(true) => Ok(Started::Now),
            Some(false) => Err(ListenerError::ExitedAtOnce { qm: self.qm.clone(), port: self.port }),
            None => {
                let state = if self.processes(deadline.cleanup().instant()).is_ok_and(|p| p.is_empty()) {
                    "no runmqlsr appeared"
                } else {
                    "runmqlsr runs but does not serve the port"
                };
                Err(ListenerError::StartTimeout { what: self.describe(), state })
            }
        }
    }
}
