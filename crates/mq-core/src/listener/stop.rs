//! Stopping a listener: STOP LISTENER for a LISTENER object, then SIGTERM and SIGKILL of only
//! this queue manager's runmqlsr for this port (endmqlsr would end every listener of it).

use std::time::Duration;

use super::{net, stop_mqsc, Listener, ListenerError, Runmqlsr, Stopped};
use crate::deadline::poll_until;
use crate::placement::Placement;
use crate::procs::{self, Ending, Proc};
use crate::qmgr::{Journal, Level};
use crate::Deadline;

impl Listener {
    /// Stops our runmqlsr (a LISTENER object through STOP LISTENER first, when `at` places it)
    /// and waits briefly for its socket to go; Ok only when no runmqlsr of ours is left.
    pub fn stop(
        &self,
        at: impl FnOnce() -> Option<Placement>,
        deadline: Deadline,
        j: &dyn Journal,
    ) -> Result<Stopped, ListenerError> {
        // No answer from /proc in time is an error, never "not running".
        let running = self.processes(deadline.child(0.25).instant())?;
        if running.is_empty() {
            return Ok(Stopped::NotRunning);
        }
        // The listening sockets our runmqlsr holds: stop is done when the kernel has dropped them.
        let ours = self.held_sockets(&running);
        if let Some((object, at)) = self.object.as_ref().and_then(|o| Some((o, at()?))) {
            // Let the queue manager end its own listener first, so DISPLAY LSSTATUS stays true.
            if let Err(why) = self.mqsc(&at, &stop_mqsc(object), deadline.child(0.3)) {
                j.note(Level::Warn, &format!("STOP LISTENER({object}) failed ({why}); ending runmqlsr by signal"));
            } else {
                let d = deadline.child(0.4);
                poll_until(d, || self.processes(d.instant()).is_ok_and(|p| p.is_empty()).then_some(()));
            }
        }
        let (_, left) = procs::end(&Runmqlsr(self), Ending::TermFirst, deadline.instant(), j);
        let left = left.map_err(|e| ListenerError::Scan(format!("{e}: runmqlsr may be left")))?;
        if !left.is_empty() {
            let names: Vec<String> = left.iter().map(Proc::describe).collect();
            return Err(ListenerError::Survived(names.join(", ")));
        }
        // The socket goes with the process; wait (briefly) for the kernel to drop it.
        let closed = poll_until(deadline.capped(Duration::from_secs(5)), || {
            net::listening_on(self.port).iter().all(|s| !ours.contains(&s.inode)).then_some(())
        });
        if closed.is_none() {
            j.note(Level::Warn, &format!("port {} still shows runmqlsr's listening socket after it ended", self.port));
        }
        Ok(Stopped::Now)
    }
}
