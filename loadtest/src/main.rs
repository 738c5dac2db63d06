//! `bidroom-loadtest`: the load generator. Its scenarios arrive with the load-test issue.

fn main() {
    eprintln!("bidroom-loadtest: no scenarios yet");
    std::process::exit(2);
}
