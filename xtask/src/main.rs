//! Project chores, run as `cargo xtask <task>`.
//!
//! `gen-sdk` reads `schema.json` (and the provider's version from the top
//! `Cargo.toml`) and writes the Python SDK to `sdk/python` and the Node.js
//! SDK to `sdk/nodejs`. The output depends on nothing but those two files,
//! so it is committed, and CI regenerates it and fails on any difference.
//! `gen-sdk --check` does that comparison without writing.

mod names;
mod nodejs;
mod python;
mod schema;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Directories inside an SDK that hold build products, never generated.
const BUILD_PRODUCTS: [&str; 5] = ["bin", "node_modules", "build", "__pycache__", "dist"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["gen-sdk"] => gen_sdk(false),
        ["gen-sdk", "--check"] => gen_sdk(true),
        _ => Err("usage: cargo xtask gen-sdk [--check]".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

/// The `version` of the top `Cargo.toml`'s `[package]`.
fn provider_version(manifest: &str) -> Option<String> {
    let package = manifest
        .split("\n[")
        .find(|s| s.starts_with("[package]") || s.starts_with("package]"))?;
    package.lines().find_map(|line| {
        let value = line
            .trim()
            .strip_prefix("version")?
            .trim()
            .strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_owned())
    })
}

fn gen_sdk(check: bool) -> Result<(), String> {
    let root = root();
    let read = |name: &str| {
        std::fs::read_to_string(root.join(name)).map_err(|e| format!("reading {name}: {e}"))
    };
    let schema: serde_json::Value =
        serde_json::from_str(&read("schema.json")?).map_err(|e| format!("schema.json: {e}"))?;
    let version =
        provider_version(&read("Cargo.toml")?).ok_or("Cargo.toml has no [package] version")?;
    let package = schema::Package::from_json(&schema, &version).map_err(|e| e.to_string())?;
    let sdks = [
        ("sdk/python", python::generate(&package)),
        ("sdk/nodejs", nodejs::generate(&package)),
    ];
    let mut stale = Vec::new();
    for (dir, files) in &sdks {
        let dir = root.join(dir);
        let wanted: BTreeSet<PathBuf> = files.iter().map(|(path, _)| dir.join(path)).collect();
        for (path, contents) in files {
            let path = dir.join(path);
            let current = std::fs::read_to_string(&path).ok();
            if current.as_deref() == Some(contents.as_str()) {
                continue;
            }
            if check {
                stale.push(path.display().to_string());
            } else {
                std::fs::create_dir_all(path.parent().unwrap())
                    .and_then(|()| std::fs::write(&path, contents))
                    .map_err(|e| format!("writing {}: {e}", path.display()))?;
            }
        }
        for extra in existing_files(&dir)
            .into_iter()
            .filter(|f| !wanted.contains(f))
        {
            if check {
                stale.push(format!("{} (not generated)", extra.display()));
            } else {
                std::fs::remove_file(&extra)
                    .map_err(|e| format!("removing {}: {e}", extra.display()))?;
            }
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the SDKs are out of date with schema.json; run `cargo xtask gen-sdk`:\n  {}",
            stale.join("\n  ")
        ))
    }
}

/// Files under `dir`, leaving out build products and hidden files.
fn existing_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.')
            || BUILD_PRODUCTS.contains(&name.as_str())
            || name.ends_with(".egg-info")
        {
            continue;
        }
        if path.is_dir() {
            found.extend(existing_files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_version_is_read_from_the_manifest() {
        let manifest =
            "[package]\nname = \"x\"\nversion = \"1.2.3\"\n\n[dependencies]\nversion = \"9\"\n";
        assert_eq!(provider_version(manifest).as_deref(), Some("1.2.3"));
    }

    #[test]
    fn the_real_schema_generates_both_sdks() {
        let root = root();
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("schema.json")).unwrap())
                .unwrap();
        let package = schema::Package::from_json(&schema, "0.0.1").unwrap();
        let python = python::generate(&package);
        let image = &python
            .iter()
            .find(|(p, _)| p.ends_with("/image.py"))
            .unwrap()
            .1;
        assert!(image.contains("@pulumi.getter(name=\"cacheFrom\")"));
        assert!(image.contains("pulumi.Output.secret(values[\"secrets\"])"));
        assert!(image.contains("raise TypeError(\"Missing required property 'push'\")"));
        let node = nodejs::generate(&package);
        let image = &node.iter().find(|(p, _)| p == "image.ts").unwrap().1;
        assert!(image.contains("additionalSecretOutputs: [\"secrets\"]"));
        assert!(image.contains("public readonly contextHash!: pulumi.Output<string>;"));
        let plugin = &python
            .iter()
            .find(|(p, _)| p.ends_with("pulumi-plugin.json"))
            .unwrap()
            .1;
        assert!(plugin.contains("\"version\": \"0.0.1\""));
    }
}
