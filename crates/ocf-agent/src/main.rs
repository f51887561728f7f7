//! The Pacemaker face of mqha: OCF environment in, exit code out.
fn main() {
    std::process::exit(3);
}
