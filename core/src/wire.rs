//! The wire model the SDKs expose as protobuf messages (`scalekit.v1.connected_accounts`,
//! `scalekit.v1.tools`, `scalekit.v1.mcp`), written once in `core/proto` at the official packages'
//! names and field numbers and compiled at build time into one descriptor set. Python and Node
//! build their message classes from these bytes, so neither SDK writes a field down by hand; the
//! REST types of [`crate::model`] are checked against it field by field (`tests/wire_model.rs`).

/// The serialized `google.protobuf.FileDescriptorSet`: every file under `core/proto`, and the
/// well-known files they import (`google/protobuf/…`), each after the files it imports.
pub const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wire.binpb"));
