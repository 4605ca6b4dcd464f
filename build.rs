//! Compiles the `pulumirpc` protocol files in `proto/` into Rust.
//!
//! `protox` parses the files in pure Rust, so building needs no system
//! `protoc`; the resulting descriptor set goes to tonic's code generator.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/pulumi/provider.proto",
        "proto/pulumi/engine.proto",
        "proto/pulumi/plugin.proto",
        "proto/pulumi/alias.proto",
    ];
    for file in &files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        // Server for the provider, clients for the engine (and for our own
        // engine-playing tests, which drive the provider like the engine).
        .build_server(true)
        .build_client(true)
        // prost's codec, but an undecodable request is InvalidArgument.
        .codec_path("crate::rpc::codec::WireCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
