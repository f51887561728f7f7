//! mq-sim is a simulated IBM MQ installation for tests: one multi-call binary that is every MQ
//! command (strmqm, dspmq, runmqsc, ...) and every queue-manager process (amqzxma0, runmqlsr, ...),
//! dispatched on the name it was run by, plus `mqsim` for test tooling (install, faults, crash,
//! cleanup). It behaves as docs/reference (mq-commands.md, mq-processes-and-files.md, mqi.md)
//! describes a real installation. It is NOT packaged, and nothing in the agents may know about it.

pub mod authority;
pub mod cmd;
pub mod cmdlog;
pub mod diag;
pub mod engine;
pub mod faults;
pub mod ini;
pub mod install;
pub mod messages;
pub mod nha;
pub mod paths;
pub mod runtime;
pub mod status;
pub mod tool;
pub mod wire;

/// Entry point of the multi-call binary: dispatch on argv[0]'s basename.
pub fn main_from_args() -> i32 {
    let mut args: Vec<String> = std::env::args().collect();
    let arg0 = if args.is_empty() { String::new() } else { args.remove(0) };
    let prog = program_name(&arg0);
    cmdlog::record(&prog, &args);
    if let Ok(exe) = std::fs::read_link("/proc/self/exe") {
        if prog != "mqsim" {
            runtime::procs::register_self(&exe);
        }
    }
    // runmqsc -c is a client of a queue manager that checks the connection itself, as on a
    // client-only installation, which has no mq group (UNCONFIRMED for a server installation).
    let client_mode = prog == "runmqsc" && args.iter().any(|a| a == "-c");
    if authority::ADMIN_COMMANDS.contains(&prog.as_str()) && !client_mode {
        // Every control command checks its caller first, as MQ's do (AMQ7077E).
        if let Ok(inst) = paths::Installation::current() {
            if !authority::require_admin(&inst) {
                return authority::NOT_AUTHORIZED_RC;
            }
        }
    }
    dispatch(&prog, args)
}

/// The program this process is: the name of the installation's file it was executed from, never
/// argv[0], which the caller chooses. A program of the installation is set-user-id mq user, and a
/// caller outside the mq group must not make `dspmq` behave as `amqzxma0` by naming it so (each
/// of IBM's programs is its own file). `mqsim` itself (the build's binary) goes by argv[0].
fn program_name(arg0: &str) -> String {
    if let Ok(exe) = std::fs::read_link("/proc/self/exe") {
        // ROOT/PREFIX/bin or ROOT/PREFIX/samp/bin of an installation (PREFIX holds mqsim.ini).
        let inst_dir = exe.parent().and_then(|d| {
            if d.ends_with("samp/bin") {
                d.parent().and_then(std::path::Path::parent)
            } else if d.ends_with("bin") {
                d.parent()
            } else {
                None
            }
        });
        if inst_dir.is_some_and(|i| i.join(paths::SIM_INSTALL_FILE).is_file()) {
            if let Some(name) = exe.file_name().and_then(|n| n.to_str()) {
                return name.to_string();
            }
        }
    }
    arg0.rsplit('/').next().unwrap_or(arg0).to_string()
}

/// `args` excludes argv[0], as every command's `main` expects.
fn dispatch(prog: &str, args: Vec<String>) -> i32 {
    match prog {
        // The engine's commands: MQSC, message dump, samples.
        "runmqsc" => cmd::runmqsc::main(args),
        "dmpmqmsg" => cmd::dmpmqmsg::main(args),
        "amqsput" => cmd::samples::amqsput(args),
        "amqsget" => cmd::samples::amqsget(args),
        "amqsputc" => cmd::samples::amqsputc(args),
        "amqsgetc" => cmd::samples::amqsgetc(args),
        // Control commands.
        "crtmqm" => cmd::crtmqm::main(args),
        "dltmqm" => cmd::dltmqm::main(args),
        "strmqm" => cmd::strmqm::main(args),
        "endmqm" => cmd::endmqm::main(args),
        "dspmq" => cmd::dspmq::main(args),
        "dspmqver" => cmd::dspmqver::main(args),
        "dspmqinf" => cmd::dspmqinf::main(args),
        "addmqinf" => cmd::addmqinf::main(args),
        "rmvmqinf" => cmd::rmvmqinf::main(args),
        "runmqlsr" => cmd::runmqlsr::main(args),
        "endmqlsr" => cmd::endmqlsr::main(args),
        "strmqcsv" => cmd::strmqcsv::main(args),
        "endmqcsv" => cmd::endmqcsv::main(args),
        "dspmqcsv" => cmd::dspmqcsv::main(args),
        "runmqchi" => cmd::runmqchi::main(args),
        "runmqtrm" => cmd::runmqtrm::main(args),
        "amqiclen" => cmd::amqiclen::main(args),
        "mqconfig" => cmd::mqconfig::main(args),
        "setmqinst" => cmd::setmqinst::main(args),
        "dspmqinst" => cmd::dspmqinst::main(args),
        "setmqm" => cmd::setmqm::main(args),
        // Processes of a running queue manager.
        "amqzxma0" => runtime::controller::main(args),
        "amqzmgr0" => runtime::family::amqzmgr0_main(args),
        "amqzfuma" | "amqzmuc0" | "amqzmur0" | "amqzmuf0" | "amqrrmfa" | "amqzlaa0" | "amqpcsea" | "amqfqpub"
        | "amqfcxba" => runtime::family::member_main(prog, args),
        // The simulator's stand-in for a locally bound application, and its test tooling.
        "mqsimapp" => tool::app_main(args),
        "mqsim" => tool::main(args),
        _ => {
            eprintln!("mqsim: '{prog}' is not a command of this simulated installation");
            1
        }
    }
}
