fn main() {
    std::process::exit(mq_sim::main_from_args());
}
