//! dmpmqmsg: unloads a queue to a file (-I queue -f file / -o file) and loads a file into a
//! queue (-o queue -f file), as the ClusterLabs agent and administrators use it.

pub fn main(args: Vec<String>) -> i32 {
    let _ = args;
    todo!("SIM-B")
}
