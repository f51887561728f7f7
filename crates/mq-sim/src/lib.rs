//! mq-sim is a simulated IBM MQ installation for tests: never packaged.
pub fn main_from_args() -> i32 { eprintln!("mqsim: not built yet"); 1 }
