//! Names the commit in `agentkit --version`: release builds (`make dist`, the image) set
//! `AGENTKIT_COMMIT`; other builds say `unknown` (no git call, so a commit rebuilds nothing).
fn main() {
    println!("cargo:rerun-if-env-changed=AGENTKIT_COMMIT");
    let commit = std::env::var("AGENTKIT_COMMIT").ok().filter(|c| !c.trim().is_empty());
    println!("cargo:rustc-env=AGENTKIT_COMMIT={}", commit.as_deref().unwrap_or("unknown"));
}
