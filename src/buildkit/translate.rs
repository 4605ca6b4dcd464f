//! A [`BuildRequest`] as a BuildKit [`Solve`], as buildx would have sent
//! it: the `dockerfile.v0` frontend's attributes, the local directories
//! the session serves, the cache entries and exporters with BuildKit's
//! attribute names (the same rendering the command line used, read back
//! into attributes), and the docker driver's differences (its `moby`
//! exporter, local images preferred).
//!
//! A request this client does not build yet is [`Unsupported`], with the
//! reason: the caller builds it with buildx instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::engine_api::reachable as engine_reachable;
use super::local_cache;
use super::oci_layout::{IndexUpdate, LayoutEntry};
use super::session::{LocalDir, Output, SessionSpec};
use super::solve::{Entry, Solve};
use crate::build::csv::attributes;
use crate::build::extra_hosts;
use crate::build::render::{CacheSyntax, ExportSyntax, SecretAttributes};
use crate::build::{BuildRequest, DockerfileSource, Mode, SshAgent};
use crate::context::{Location, classify, is_fetched_url};
use crate::credential::Credential;
use crate::model::export::Export;
use crate::model::reference::names;

/// Why a request does not become a solve: what buildx refuses too,
/// refused here in words that name the property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// The daemon a solve is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daemon {
    /// The Docker engine's own BuildKit: images go to the engine's store
    /// (`moby`), local images are preferred.
    Moby,
    /// Any other BuildKit.
    Standalone,
}

/// The solve for `request`, local paths resolved against `base`.
/// `engine` is the Docker engine a `load` goes to.
pub fn solve_for(
    request: &BuildRequest,
    base: &Path,
    daemon: Daemon,
    engine: &str,
    credentials: &[Credential],
) -> Result<Solve, Refused> {
    let mut solve = Solve {
        session: SessionSpec {
            secrets: request.secrets.clone(),
            credentials: credentials.to_vec(),
            ..SessionSpec::default()
        },
        ..Solve::default()
    };
    ssh_entries(&mut solve.session, &request.ssh, base)?;
    match local_dir(&request.context, base) {
        Some(context) => {
            solve.session.shared_key = shared_key(&context);
            dockerfile(&mut solve, &request.dockerfile, Some(&context), base)?;
            let dir = LocalDir::Path(context);
            solve.session.dirs.insert("context".into(), dir);
        }
        None if is_fetched_url(&request.context) => {
            // The daemon fetches it: a Git repository (at a ref and
            // subdirectory after `#`), or over HTTP a tarball (the
            // context) or a single file (the Dockerfile).
            let url = request.context.clone();
            solve.frontend_attrs.insert("context".into(), url);
            dockerfile(&mut solve, &request.dockerfile, None, base)?;
        }
        None => {
            return Err(Refused(format!(
                "the build context `{}` (context.location) is neither a directory nor a Git or HTTP(S) URL",
                request.context
            )));
        }
    }
    named_contexts(&mut solve, &request.named_contexts, base)?;
    frontend_settings(&mut solve, request, daemon)?;
    caches(&mut solve, request, base)?;
    buildx_arguments(&mut solve, request)?;
    exporters(&mut solve, request, (daemon, engine), base)?;
    Ok(solve)
}

/// The build arguments buildx acts on itself, as it does (they still go
/// to the frontend as arguments too): `BUILDKIT_SYNTAX` runs that image as
/// the frontend, `BUILDKIT_INLINE_CACHE` adds an inline cache export,
/// `BUILDKIT_MULTI_PLATFORM` asks for an index even for one platform.
fn buildx_arguments(solve: &mut Solve, request: &BuildRequest) -> Result<(), Refused> {
    let args = &request.build_args;
    if let Some(syntax) = args.get("BUILDKIT_SYNTAX") {
        let source = syntax.split_whitespace().next();
        let source = source.ok_or_else(|| {
            Refused("the build argument BUILDKIT_SYNTAX is empty (buildArgs.BUILDKIT_SYNTAX): name a frontend image or leave it out".into())
        })?;
        solve.frontend = Some("gateway.v0".into());
        let attrs = &mut solve.frontend_attrs;
        attrs.insert("source".into(), source.to_owned());
        attrs.insert("cmdline".into(), syntax.clone());
    }
    let on = |name: &str| args.get(name).is_some_and(|v| go_bool(v));
    if on("BUILDKIT_INLINE_CACHE") && request.mode == Mode::Deploy {
        solve.cache_exports.push(Entry {
            kind: "inline".into(),
            attrs: BTreeMap::new(),
        });
    }
    if on("BUILDKIT_MULTI_PLATFORM") {
        let attrs = &mut solve.frontend_attrs;
        attrs.insert("multi-platform".into(), "true".into());
    }
    Ok(())
}

/// Go's `strconv.ParseBool` saying true.
fn go_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// What each `ssh` entry offers, by id, as buildx reads it: no path is
/// `SSH_AUTH_SOCK`'s agent, one path that is a socket is that agent, and
/// anything else is key files (relative to `base`) for an agent of the
/// build's own.
fn ssh_entries(session: &mut SessionSpec, agents: &[SshAgent], base: &Path) -> Result<(), Refused> {
    use std::os::unix::fs::FileTypeExt as _;
    let is_socket = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.file_type().is_socket());
    for agent in agents {
        let id = match agent.id.as_str() {
            "" => "default".to_owned(),
            id => id.to_owned(),
        };
        let paths: Vec<PathBuf> = agent.paths.iter().map(|p| base.join(p)).collect();
        match paths.as_slice() {
            [] => {
                let socket = std::env::var_os("SSH_AUTH_SOCK")
                    .map(PathBuf::from)
                    .ok_or_else(|| {
                        Refused(format!(
                            "the SSH entry `{id}` (ssh) names no socket or keys and SSH_AUTH_SOCK is not set: start an agent or give `paths`"
                        ))
                    })?;
                session.ssh_agents.insert(id, socket);
            }
            [socket] if is_socket(socket) => {
                session.ssh_agents.insert(id, socket.clone());
            }
            keys => {
                session.ssh_keys.insert(id, keys.to_vec());
            }
        }
    }
    Ok(())
}

/// A local directory, resolved; `None` for a remote location or a path
/// that is not a directory (buildx says why).
fn local_dir(location: &str, base: &Path) -> Option<PathBuf> {
    match classify(location, base) {
        Location::Local(path) if path.is_dir() => Some(path),
        _ => None,
    }
}

/// Names the daemon's copy of a directory: the same directory on the
/// same machine finds what the last build sent.
fn shared_key(dir: &Path) -> String {
    use sha2::Digest as _;
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let digest = sha2::Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the frontend finds the Dockerfile: in memory (inline), in a local
/// directory, or (a relative path, or none, with a remote `context`)
/// inside the context the daemon fetches.
fn dockerfile(
    solve: &mut Solve,
    source: &DockerfileSource,
    context: Option<&Path>,
    base: &Path,
) -> Result<(), Refused> {
    let (dir, filename) = match (source, context) {
        (DockerfileSource::Inline(text), _) => {
            let file = LocalDir::File {
                name: "Dockerfile".into(),
                bytes: Arc::new(text.clone().into_bytes()),
            };
            (Some(file), "Dockerfile".to_owned())
        }
        (DockerfileSource::Default, Some(context)) => (
            Some(LocalDir::Path(context.to_path_buf())),
            "Dockerfile".into(),
        ),
        (DockerfileSource::Default, None) => (None, "Dockerfile".into()),
        (DockerfileSource::Location(location), remote) => {
            let Location::Local(path) = classify(location, base) else {
                return Err(Refused(format!(
                    "the Dockerfile `{location}` (dockerfile.location) is not a local file: give a path, or the Dockerfile itself in dockerfile.inline"
                )));
            };
            if remote.is_none() && !Path::new(location).is_absolute() {
                (None, location.clone())
            } else {
                let name = path.file_name().ok_or_else(|| {
                    Refused(format!(
                        "the Dockerfile `{location}` (dockerfile.location) names no file"
                    ))
                })?;
                let dir = path
                    .parent()
                    .map_or_else(|| base.to_path_buf(), Path::to_path_buf);
                (
                    Some(LocalDir::Path(dir)),
                    name.to_string_lossy().into_owned(),
                )
            }
        }
    };
    solve.frontend_attrs.insert("filename".into(), filename);
    if let Some(dir) = dir {
        if context.is_none() || matches!(source, DockerfileSource::Inline(_)) {
            // Not the context's own directory: the frontend must be told.
            solve
                .frontend_attrs
                .insert("dockerfilekey".into(), "dockerfile".into());
        }
        solve.session.dirs.insert("dockerfile".into(), dir);
    }
    Ok(())
}

/// An `oci-layout://<dir>[:tag][@digest]` named context as buildx passes
/// it: the layout served as a content store of the session (`oci:<id>`),
/// the image pinned by digest (found by tag in `index.json` when not
/// given).
fn layout_context(
    session: &mut SessionSpec,
    (name, layout): (&str, &str),
    base: &Path,
) -> Result<String, Refused> {
    let (rest, digest) = match layout.rsplit_once('@') {
        Some((rest, digest)) if digest.starts_with("sha256:") => (rest, Some(digest.to_owned())),
        _ => (layout, None),
    };
    let (path, tag) = match rest.rsplit_once(':') {
        Some((path, tag)) if !tag.contains('/') && !tag.is_empty() => (path, Some(tag)),
        _ => (rest, None),
    };
    let dir = base.join(path);
    let digest = digest
        .or_else(|| super::oci_layout::resolve(&dir, tag.unwrap_or("")))
        .ok_or_else(|| {
            Refused(format!(
                "the OCI layout {} (context.named.{name}.location) has no image{}",
                dir.display(),
                tag.map(|t| format!(" tagged `{t}`")).unwrap_or_default()
            ))
        })?;
    let store = format!("context-{name}");
    session.content_stores.insert(format!("oci:{store}"), dir);
    let tag = tag.map(|t| format!(":{t}")).unwrap_or_default();
    Ok(format!("oci-layout://{store}{tag}@{digest}"))
}

/// Named contexts: a local directory is served as its own directory, an
/// OCI layout as a content store; images, URLs and other targets go to
/// the frontend as they are.
fn named_contexts(
    solve: &mut Solve,
    named: &BTreeMap<String, String>,
    base: &Path,
) -> Result<(), Refused> {
    for (name, location) in named {
        let value = if let Some(layout) = location.strip_prefix("oci-layout://") {
            layout_context(&mut solve.session, (name, layout), base)?
        } else if let Some(dir) = local_dir(location, base) {
            // As buildx names them, clear of the two names it uses itself.
            let local = match name.as_str() {
                "context" | "dockerfile" => format!("_{name}"),
                _ => name.clone(),
            };
            solve
                .session
                .dirs
                .insert(local.clone(), LocalDir::Path(dir));
            format!("local:{local}")
        } else if matches!(classify(location, base), Location::Remote) {
            location.clone()
        } else {
            return Err(Refused(format!(
                "the named context `{name}` (context.named.{name}.location) is `{location}`: neither a directory nor an image, URL or build target"
            )));
        };
        solve
            .frontend_attrs
            .insert(format!("context:{name}"), value);
    }
    if !named.is_empty() {
        solve.frontend_attrs.insert(
            "frontend.caps".into(),
            "moby.buildkit.frontend.contexts+forward".into(),
        );
    }
    Ok(())
}

fn frontend_settings(
    solve: &mut Solve,
    request: &BuildRequest,
    daemon: Daemon,
) -> Result<(), Refused> {
    let attrs = &mut solve.frontend_attrs;
    for (key, value) in &request.build_args {
        attrs.insert(format!("build-arg:{key}"), value.clone());
    }
    for (key, value) in &request.labels {
        attrs.insert(format!("label:{key}"), value.clone());
    }
    if let Some(target) = &request.target {
        attrs.insert("target".into(), target.clone());
    }
    if !request.platforms.is_empty() {
        attrs.insert("platform".into(), request.platforms.join(","));
    }
    if request.no_cache {
        attrs.insert("no-cache".into(), String::new());
    }
    if request.pull {
        attrs.insert("image-resolve-mode".into(), "pull".into());
    } else if daemon == Daemon::Moby {
        attrs.insert("image-resolve-mode".into(), "local".into());
    }
    match request.network.as_deref() {
        None | Some("default") => {}
        Some("host") => {
            attrs.insert("force-network-mode".into(), "host".into());
            solve.entitlements.push("network.host".into());
        }
        Some("none") => {
            attrs.insert("force-network-mode".into(), "none".into());
        }
        Some(other) => {
            return Err(Refused(format!(
                "the network mode `{other}` (network) is not one BuildKit runs steps in: use `default`, `host` or `none`"
            )));
        }
    }
    if !request.add_hosts.is_empty() {
        let hosts: Vec<String> = request
            .add_hosts
            .iter()
            .flat_map(|h| extra_hosts::pairs(h))
            .collect();
        attrs.insert("add-hosts".into(), hosts.join(","));
    }
    Ok(())
}

/// Registry, inline, S3, Azure Blob, GitHub Actions and local caches, with
/// their secrets (they travel in the solve, in memory, never in a
/// process's view); a local cache directory is a content store the
/// session serves (`local_cache`).
fn caches(solve: &mut Solve, request: &BuildRequest, base: &Path) -> Result<(), Refused> {
    for import in &request.cache.imports {
        let mut entry = cache_entry(&import.render_with(SecretAttributes::Include))?;
        if entry.kind == "local" && !local_cache::import(&mut entry, &mut solve.session, base) {
            continue;
        }
        solve.cache_imports.push(entry);
    }
    if request.mode == Mode::Preview {
        return Ok(());
    }
    for export in &request.cache.exports {
        let mut entry = cache_entry(&export.render_with(SecretAttributes::Include))?;
        if entry.kind == "local" {
            let index = local_cache::export(&mut entry, &mut solve.session, base)
                .map_err(|why| Refused(format!("{why} (cacheTo[].local.dest)")))?;
            solve.layout_indexes.push(index);
        }
        solve.cache_exports.push(entry);
    }
    Ok(())
}

/// A rendered cache entry (a raw one may be a bare registry ref), with
/// GitHub's token and cache URL from the environment when not given, as
/// buildx adds them.
fn cache_entry(rendered: &str) -> Result<Entry, Refused> {
    let mut entry = match rendered.contains('=') {
        true => entry(rendered)?,
        false => Entry {
            kind: "registry".into(),
            attrs: BTreeMap::from([("ref".to_owned(), rendered.to_owned())]),
        },
    };
    match entry.kind.as_str() {
        "registry" | "inline" | "s3" | "azblob" | "local" => {}
        "gha" => {
            for (attr, variable) in [
                ("token", "ACTIONS_RUNTIME_TOKEN"),
                ("url", "ACTIONS_CACHE_URL"),
            ] {
                if let (false, Ok(value)) =
                    (entry.attrs.contains_key(attr), std::env::var(variable))
                {
                    entry.attrs.insert(attr.into(), value);
                }
            }
        }
        // Any other backend is BuildKit's to take or refuse.
        _ => {}
    }
    Ok(entry)
}

fn entry(rendered: &str) -> Result<Entry, Refused> {
    // The entry may hold a secret: the error does not quote it.
    let (kind, attrs) = attributes(rendered).map_err(|_| {
        Refused("a raw cache or export entry is not a list of key=value pairs".into())
    })?;
    Ok(Entry { kind, attrs })
}

/// The exporters, as buildx 0.13 sets them up: `--push` alone is an
/// image pushed, `--load` alone the image in the engine; no output at all
/// is an image in the engine (docker driver) or nothing; tags name every
/// image; `cacheonly` is no exporter; a tarball goes to its destination
/// through the session (by the exporter's index).
fn exporters(
    solve: &mut Solve,
    request: &BuildRequest,
    (daemon, engine): (Daemon, &str),
    base: &Path,
) -> Result<(), Refused> {
    let preview = request.mode == Mode::Preview;
    let (mut exporters, load) = listed_exporters(solve, request, base)?;
    let push = request.push && !preview;
    let images = |e: &Entry| e.kind == "image";
    let loads = load.is_some();
    if let (Some(load), Daemon::Standalone) = (load, daemon) {
        // Another builder sends the tarball back; it is loaded into the
        // engine as it arrives.
        if !engine_reachable(engine) {
            return Err(Refused(format!(
                "the engine `{engine}` (host) is not a unix://, tcp:// or ssh:// address a load can reach"
            )));
        }
        let output = Output::Engine(engine.to_owned());
        solve.session.outputs.insert(exporters.len() as u32, output);
        exporters.push(load);
    }
    let moby = daemon == Daemon::Moby;
    let wants_image = push || (loads && moby) || (request.exports.is_empty() && moby);
    if wants_image && !exporters.iter().any(images) {
        exporters.push(Entry {
            kind: "image".into(),
            attrs: BTreeMap::new(),
        });
    }
    for exporter in &mut exporters {
        if push && images(exporter) {
            exporter.attrs.insert("push".into(), "true".into());
        }
        let named = matches!(exporter.kind.as_str(), "image" | "oci" | "docker");
        if !request.tags.is_empty() && named {
            exporter
                .attrs
                .insert("name".into(), names(&request.tags, ","));
        } else if images(exporter)
            && exporter.attrs.get("name").is_none_or(String::is_empty)
            && exporter.attrs.get("push").is_some_and(|p| go_bool(p))
        {
            return Err(Refused(
                "an image pushed to a registry needs a name: give `tags` or a name in the export"
                    .into(),
            ));
        }
        if moby && images(exporter) {
            exporter.kind = "moby".into();
        }
    }
    solve.exporters = exporters;
    Ok(())
}

/// The `exports` entries as exporters (a tarball's destination noted in
/// the session), and the load a `docker` export without a destination
/// (or `load`) asks for, apart.
fn listed_exporters(
    solve: &mut Solve,
    request: &BuildRequest,
    base: &Path,
) -> Result<(Vec<Entry>, Option<Entry>), Refused> {
    let preview = request.mode == Mode::Preview;
    let mut exporters = Vec::new();
    let mut load = request.load.then(|| Entry {
        kind: "docker".into(),
        attrs: BTreeMap::new(),
    });
    for export in &request.exports {
        match listed(export, preview)? {
            Listed::Skip => {}
            Listed::Load(entry) => load = Some(entry),
            Listed::Layout(entry, dest) => {
                // BuildKit's client offers one such layout, as `export`.
                let dir = base.join(dest);
                if solve.session.content_stores.contains_key("export") {
                    return Err(Refused(
                        "one build exports its image to one OCI layout directory at most (exports)"
                            .into(),
                    ));
                }
                std::fs::create_dir_all(&dir).map_err(|e| {
                    Refused(format!(
                        "cannot create the export directory {}: {e}",
                        dir.display()
                    ))
                })?;
                solve
                    .session
                    .content_stores
                    .insert("export".into(), dir.clone());
                let entry_kind = LayoutEntry::Image;
                solve.layout_indexes.push(IndexUpdate {
                    dir,
                    entry: entry_kind,
                });
                exporters.push(entry);
            }
            Listed::Exporter(entry, output) => {
                if let Some(output) = output {
                    let output = match output {
                        Output::File(file) => Output::File(base.join(file)),
                        Output::Dir(dir) => Output::Dir(base.join(dir)),
                        engine => engine,
                    };
                    solve.session.outputs.insert(exporters.len() as u32, output);
                }
                exporters.push(entry);
            }
        }
    }
    Ok((exporters, load))
}

/// Why a tarball cannot go to standard output here.
const STDOUT: &str = "a tarball export to standard output (dest `-` or none) has nowhere to go from a Pulumi provider: give its file in `dest`";

/// What one `exports` entry becomes.
enum Listed {
    /// Nothing (`cacheonly`; a raw push in a preview).
    Skip,
    /// A load into the engine (`docker` without a destination).
    Load(Entry),
    /// An exporter, with the file its tarball or the directory its tree
    /// goes to (relative paths as written).
    Exporter(Entry, Option<Output>),
    /// An image exported into an OCI layout directory (`oci` or `docker`
    /// with `tar=false`), which the session serves as a content store.
    Layout(Entry, String),
}

/// One `exports` entry, typed or raw, read from its rendering as buildx
/// reads an `--output` value: a bare path is a directory, `registry` is
/// an image pushed, a `docker` export without a destination loads.
fn listed(export: &Export, preview: bool) -> Result<Listed, Refused> {
    let Some(rendered) = export.render(preview) else {
        return Ok(Listed::Skip);
    };
    let mut entry = match rendered.contains('=') {
        true => entry(&rendered)?,
        false => Entry {
            kind: "local".into(),
            attrs: BTreeMap::from([("dest".to_owned(), rendered)]),
        },
    };
    if entry.kind == "registry" {
        entry.kind = "image".into();
        entry.attrs.entry("push".into()).or_insert("true".into());
    }
    let dest = entry.attrs.remove("dest");
    let tarball = entry.attrs.get("tar").is_none_or(|t| t != "false");
    Ok(match (entry.kind.as_str(), dest) {
        ("cacheonly", _) => Listed::Skip,
        ("docker", None) => Listed::Load(entry),
        (_, Some(dest)) if dest.is_empty() => {
            return Err(Refused(format!(
                "the `{}` export needs a destination (exports[].dest)",
                entry.kind
            )));
        }
        ("local", Some(dest)) => Listed::Exporter(entry, Some(Output::Dir(dest.into()))),
        ("docker" | "oci", Some(dest)) if !tarball => Listed::Layout(entry, dest),
        ("local", None) => {
            return Err(Refused(
                "the `local` export needs a destination directory (exports[].local.dest)".into(),
            ));
        }
        ("docker" | "oci" | "tar", Some(dest)) if dest.is_empty() || dest == "-" => {
            return Err(Refused(STDOUT.into()));
        }
        ("oci" | "tar", None) => return Err(Refused(STDOUT.into())),
        ("docker" | "oci" | "tar", Some(dest)) => {
            Listed::Exporter(entry, Some(Output::File(dest.into())))
        }
        (_, dest) => {
            if let Some(dest) = dest {
                entry.attrs.insert("dest".into(), dest);
            }
            Listed::Exporter(entry, None)
        }
    })
}

#[cfg(test)]
#[path = "translate_tests.rs"]
mod tests;
