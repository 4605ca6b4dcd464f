//! A minimal deployment driver for the demo: it plays the Pulumi engine for
//! one `docker-build:index:Image` (Check → Diff → Create/Update), keeps the
//! state in `examples/app/.deploy-state.json`, and prints what happened.
//! A second run with nothing changed prints "no changes".
//!
//! Usage: `cargo run --example deploy [REGISTRY]` (default 127.0.0.1:5000).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use docker_build::rpc::pb;
use docker_build::rpc::pb::resource_provider_client::ResourceProviderClient;
use docker_build::wire::{PropertyMap, Value, map_to_struct, struct_to_map};

const URN: &str = "urn:pulumi:demo::app::docker-build:index:Image::app";

fn map(json: serde_json::Value) -> PropertyMap {
    match Value::from_json(&json) {
        Value::Object(map) => map,
        _ => unreachable!("an object"),
    }
}

fn plain(map: &PropertyMap) -> serde_json::Value {
    Value::Object(map.clone()).to_json()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5000".to_owned());
    let app = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/app");
    let state_file = app.join(".deploy-state.json");
    // The provider binary sits next to the examples directory.
    let binary = std::env::current_exe()?
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("pulumi-resource-docker-build"))
        .ok_or("no target dir")?;

    let mut child = KillOnDrop(
        Command::new(&binary)
            .current_dir(&app)
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()?,
    );
    let mut port = String::new();
    std::io::BufReader::new(child.0.stdout.take().ok_or("no stdout")?).read_line(&mut port)?;
    let mut provider =
        ResourceProviderClient::connect(format!("http://127.0.0.1:{}", port.trim())).await?;
    provider
        .handshake(pb::ProviderHandshakeRequest::default())
        .await?;
    provider
        .configure(pb::ConfigureRequest {
            args: Some(map_to_struct(&map(serde_json::json!({})))),
            accept_secrets: true,
            accept_resources: true,
            ..Default::default()
        })
        .await?;

    let news = map(
        serde_json::json!({"push": true, "tags": [format!("{registry}/docker-build-demo:latest")]}),
    );
    let checked = provider
        .check(pb::CheckRequest {
            urn: URN.into(),
            news: Some(map_to_struct(&news)),
            ..Default::default()
        })
        .await?
        .into_inner();
    if !checked.failures.is_empty() {
        for failure in &checked.failures {
            eprintln!("invalid input {}: {}", failure.property, failure.reason);
        }
        std::process::exit(1);
    }
    let inputs = checked.inputs.ok_or("no inputs")?;
    let previous: Option<(String, PropertyMap)> = std::fs::read(&state_file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .map(|saved| {
            (
                saved["id"].as_str().unwrap_or_default().to_owned(),
                map(saved["state"].clone()),
            )
        });

    let (id, state) = match previous {
        Some((id, old)) => {
            let diff = provider
                .diff(pb::DiffRequest {
                    id: id.clone(),
                    urn: URN.into(),
                    olds: Some(map_to_struct(&old)),
                    news: Some(inputs.clone()),
                    ..Default::default()
                })
                .await?
                .into_inner();
            if diff.changes == pb::diff_response::DiffChanges::DiffNone as i32 {
                println!("no changes: docker-build:index:Image app is up to date");
                println!("ref = {}", plain(&old)["ref"]);
                return Ok(());
            }
            println!(
                "updating docker-build:index:Image app (changed: {})",
                diff.diffs.join(", ")
            );
            let updated = provider
                .update(pb::UpdateRequest {
                    id: id.clone(),
                    urn: URN.into(),
                    olds: Some(map_to_struct(&old)),
                    news: Some(inputs),
                    ..Default::default()
                })
                .await?
                .into_inner();
            (id, struct_to_map(updated.properties.as_ref())?)
        }
        None => {
            println!("creating docker-build:index:Image app");
            let created = provider
                .create(pb::CreateRequest {
                    urn: URN.into(),
                    properties: Some(inputs),
                    ..Default::default()
                })
                .await?
                .into_inner();
            (created.id, struct_to_map(created.properties.as_ref())?)
        }
    };
    let outputs = plain(&state);
    println!("ref         = {}", outputs["ref"]);
    println!("cacheReport = {}", outputs["cacheReport"]);
    std::fs::write(
        &state_file,
        serde_json::to_vec_pretty(&serde_json::json!({"id": id, "state": outputs}))?,
    )?;
    Ok(())
}

/// Stops the provider however the demo ends, as the engine would.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
