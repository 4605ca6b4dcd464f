//! Compiles the protocol files in `proto/` into Rust: Pulumi's `pulumirpc`
//! (server and client), BuildKit's control API (client only,
//! `proto/buildkit`, vendored from github.com/moby/buildkit v0.26.3) and
//! the services a BuildKit client serves over its session (server only,
//! `proto/buildkit/session`).
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

    let control = "proto/buildkit/github.com/moby/buildkit/api/services/control/control.proto";
    println!("cargo:rerun-if-changed=proto/buildkit");
    let descriptors = protox::compile([control], ["proto/buildkit"])?;
    tonic_prost_build::configure()
        .build_server(false)
        .build_client(true)
        .compile_fds(descriptors)?;

    let session = [
        "session/filesync.proto",
        "session/secrets.proto",
        "session/ssh.proto",
        "session/health.proto",
        "session/content.proto",
    ];
    let descriptors = protox::compile(session, ["proto/buildkit"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(false)
        .compile_fds(descriptors)?;
    Ok(())
}
