//! IBM's sample programs amqsput/amqsget and their client variants amqsputc/amqsgetc. They go
//! THROUGH the installation's C library (dlopen of ROOT/opt/mqm/lib64/libmqm_r.so or
//! libmqic_r.so) so the ABI is exercised exactly as IBM's compiled samples exercise it.

pub fn amqsput(args: Vec<String>) -> i32 {
    let _ = args;
    todo!("SIM-B")
}
pub fn amqsget(args: Vec<String>) -> i32 {
    let _ = args;
    todo!("SIM-B")
}
pub fn amqsputc(args: Vec<String>) -> i32 {
    let _ = args;
    todo!("SIM-B")
}
pub fn amqsgetc(args: Vec<String>) -> i32 {
    let _ = args;
    todo!("SIM-B")
}
