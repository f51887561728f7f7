//! mq-sim is a simulated IBM MQ installation for tests: one multi-call binary that is every MQ
//! command (strmqm, dspmq, runmqsc, ...) and every queue-manager process (amqzxma0, runmqlsr, ...),
//! dispatched on the name it was run by, plus `mqsim` for test tooling (install, faults, crash,
//! cleanup). It behaves as `shared/reference/ibm-mq-commands.md` and `mqi.md` describe a real
//! installation. It is NOT packaged, and nothing in the agents may know about it.

pub mod cmd;
pub mod engine;
pub mod faults;
pub mod ini;
pub mod paths;
pub mod runtime;
pub mod status;
pub mod wire;

/// Entry point of the multi-call binary: dispatch on argv[0]'s basename.
pub fn main_from_args() -> i32 {
    let mut args: Vec<String> = std::env::args().collect();
    let prog = if args.is_empty() { String::new() } else { args.remove(0) };
    let prog = prog.rsplit('/').next().unwrap_or(&prog).to_string();
    dispatch(&prog, args)
}

/// `args` excludes argv[0], as every command's `main` expects.
fn dispatch(prog: &str, args: Vec<String>) -> i32 {
    match prog {
        // SIM-B's commands.
        "runmqsc" => cmd::runmqsc::main(args),
        "dmpmqmsg" => cmd::dmpmqmsg::main(args),
        "amqsput" => cmd::samples::amqsput(args),
        "amqsget" => cmd::samples::amqsget(args),
        "amqsputc" => cmd::samples::amqsputc(args),
        "amqsgetc" => cmd::samples::amqsgetc(args),
        _ => {
            eprintln!("mqsim: '{prog}' is not a command of this simulated installation");
            1
        }
    }
}
