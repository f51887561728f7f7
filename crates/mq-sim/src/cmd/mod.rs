//! The installation's commands as multi-call entry points of `mqsim`: each takes its arguments
//! (argv[0] excluded) and returns the exit code.

pub mod addmqinf;
pub mod amqiclen;
pub mod crtmqm;
pub mod dltmqm;
pub mod dmpmqmsg;
pub mod dspmq;
pub mod dspmqcsv;
pub mod dspmqinf;
pub mod dspmqinst;
pub mod dspmqver;
pub mod endmqcsv;
pub mod endmqlsr;
pub mod endmqm;
pub mod mqconfig;
pub mod rmvmqinf;
pub mod runmqchi;
pub mod runmqlsr;
pub mod runmqsc;
pub mod runmqtrm;
pub mod samples;
pub mod setmqinst;
pub mod setmqm;
pub mod strmqcsv;
pub mod strmqm;
pub mod target;
