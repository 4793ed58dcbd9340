//! Compiles `proto/` (the wire model the SDKs expose) into one protobuf descriptor set, with
//! protox: pure Rust, so no `protoc` is needed on any machine that builds us. `wire::DESCRIPTOR_SET`
//! embeds it; both SDKs load their message classes from it.

use std::path::{Path, PathBuf};

/// Every `.proto` file under `dir`, as import paths relative to `root`, sorted.
fn proto_files(root: &Path, dir: &Path, found: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            proto_files(root, &path, found)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            if let Ok(relative) = path.strip_prefix(root) {
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let root = Path::new("proto");
    let mut files = Vec::new();
    proto_files(root, root, &mut files)?;
    let set = protox::Compiler::new([root])?
        // The well-known files ours import come along, so the set loads on its own (core's tests);
        // the SDKs skip them in favour of their protobuf runtime's own copies.
        .include_imports(true)
        .include_source_info(false)
        .open_files(&files)?
        .encode_file_descriptor_set();
    std::fs::write(PathBuf::from(std::env::var("OUT_DIR")?).join("wire.binpb"), set)?;
    Ok(())
}
