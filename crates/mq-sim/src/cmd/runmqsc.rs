//! runmqsc: reads MQSC commands (stdin or -f), sends each to the queue manager's engine and writes
//! IBM's report (header, echo, replies, summary) with IBM's return codes (0 / 10 / 20).

/// Entry point called by the multi-call dispatch; `args` excludes argv[0].
pub fn main(args: Vec<String>) -> i32 {
    let _ = args;
    todo!("SIM-B")
}
