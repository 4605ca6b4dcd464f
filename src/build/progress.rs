//! A build's progress as [`Event`]s (a step starting, finishing, failing
//! or served from cache, its output, BuildKit warnings), made from
//! BuildKit's status stream by `crate::buildkit` with [`vertex_event`] and
//! [`warning_event`]; [`BuildLog`] folds them into what the provider
//! reports: step counts, the full log, warnings and what happened to cache
//! imports and exports.

use std::collections::BTreeMap;

use crate::model::Reference;

/// Something that happened during a build. `vertex` is BuildKit's id of
/// the step, `name` its display name (`[2/3] RUN make`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // the fields are described above, once for all variants
pub enum Event {
    /// A step began.
    Started { vertex: String, name: String },
    /// A step was served from a cache.
    Cached { vertex: String, name: String },
    /// A step finished.
    Completed { vertex: String, name: String },
    /// A step failed.
    Failed {
        vertex: String,
        name: String,
        error: String,
    },
    /// Output of a step (decoded text).
    Output { vertex: String, text: String },
    /// A BuildKit warning.
    Warning { message: String },
}

/// Where a vertex stands in one status message.
#[derive(Debug, Clone, Copy)]
pub struct VertexState {
    /// Served from a cache.
    pub cached: bool,
    /// Finished.
    pub completed: bool,
    /// Begun.
    pub started: bool,
}

/// The event a vertex's state gives (a failure first, then the cache,
/// then done, then begun), if any: buildx's rawjson and BuildKit's own
/// status stream say the same things.
pub fn vertex_event(
    vertex: String,
    name: String,
    error: Option<String>,
    state: VertexState,
) -> Option<Event> {
    Some(match error.filter(|e| !e.is_empty()) {
        Some(error) => Event::Failed {
            vertex,
            name,
            error,
        },
        None if state.cached => Event::Cached { vertex, name },
        None if state.completed => Event::Completed { vertex, name },
        None if state.started => Event::Started { vertex, name },
        None => return None,
    })
}

/// A BuildKit warning as an event: its short text, and its link if any.
pub fn warning_event(short: &str, url: Option<&str>) -> Event {
    let mut message = short.trim().to_owned();
    if let Some(url) = url.filter(|u| !u.is_empty()) {
        message.push_str(&format!(" (see {url})"));
    }
    Event::Warning { message }
}

/// Prefix of the vertex that imports a registry cache.
const IMPORT_PREFIX: &str = "importing cache manifest from ";
/// Prefix of the vertex that exports a cache.
const EXPORT_PREFIX: &str = "exporting cache";

/// The state of one step.
#[derive(Debug, Clone, Default)]
struct Step {
    name: String,
    cached: bool,
    error: Option<String>,
    output: String,
}

/// What a build did, folded from its events.
#[derive(Debug, Default)]
pub struct BuildLog {
    steps: BTreeMap<String, Step>,
    order: Vec<String>,
    /// BuildKit warnings, in order.
    pub warnings: Vec<String>,
}

impl BuildLog {
    /// Records an event; returns a status line worth showing, if any.
    pub fn record(&mut self, event: &Event) -> Option<String> {
        match event {
            Event::Started { vertex, name }
            | Event::Completed { vertex, name }
            | Event::Cached { vertex, name } => {
                let first_time = !self.steps.contains_key(vertex);
                let step = self.step(vertex, name);
                if matches!(event, Event::Cached { .. }) {
                    step.cached = true;
                }
                (first_time && !name.is_empty()).then(|| name.clone())
            }
            Event::Failed {
                vertex,
                name,
                error,
            } => {
                self.step(vertex, name).error = Some(error.clone());
                None
            }
            Event::Output { vertex, text } => {
                let step = self.step(vertex, "");
                step.output.push_str(text);
                text.lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(|l| format!("{}: {}", step.name, l.trim()))
            }
            Event::Warning { message } => {
                self.warnings.push(message.clone());
                None
            }
        }
    }

    fn step(&mut self, vertex: &str, name: &str) -> &mut Step {
        if !self.steps.contains_key(vertex) {
            self.order.push(vertex.to_owned());
        }
        let step = self.steps.entry(vertex.to_owned()).or_default();
        if step.name.is_empty() {
            step.name = name.to_owned();
        }
        step
    }

    fn is_build_step(name: &str) -> bool {
        // Dockerfile steps are named `[stage n/m] INSTRUCTION`; BuildKit's
        // own bookkeeping is `[internal] ...` or unbracketed.
        name.starts_with('[') && !name.starts_with("[internal]")
    }

    /// (cached, total) Dockerfile steps.
    pub fn step_counts(&self) -> (u32, u32) {
        let steps = self.steps.values().filter(|s| Self::is_build_step(&s.name));
        let (mut cached, mut total) = (0, 0);
        for step in steps {
            total += 1;
            if step.cached {
                cached += 1;
            }
        }
        (cached, total)
    }

    /// Cache imports that failed, as (ref, error).
    pub fn failed_imports(&self) -> Vec<(String, String)> {
        self.steps
            .values()
            .filter_map(|s| {
                Some((
                    s.name.strip_prefix(IMPORT_PREFIX)?.to_owned(),
                    s.error.clone()?,
                ))
            })
            .collect()
    }

    /// Whether a cache import of `reference` ran and succeeded.
    pub fn imported(&self, reference: &Reference) -> bool {
        let reference = reference.to_string();
        self.steps.values().any(|s| {
            s.name.strip_prefix(IMPORT_PREFIX) == Some(reference.as_str()) && s.error.is_none()
        })
    }

    /// Cache exports that failed, as error texts.
    pub fn failed_exports(&self) -> Vec<String> {
        let from_steps = self
            .steps
            .values()
            .filter(|s| s.name.starts_with(EXPORT_PREFIX))
            .filter_map(|s| s.error.clone());
        let from_warnings = self
            .warnings
            .iter()
            .filter(|w| w.contains("cache") && w.contains("export"))
            .cloned();
        from_steps.chain(from_warnings).collect()
    }

    /// The failed step (not a cache import) with its output, for an error report.
    pub fn failure_report(&self) -> Option<String> {
        let failed = self
            .order
            .iter()
            .filter_map(|v| self.steps.get(v))
            .find(|s| s.error.is_some() && !s.name.starts_with(IMPORT_PREFIX))?;
        let mut report = format!(
            "step `{}` failed: {}",
            failed.name,
            failed.error.as_deref().unwrap_or_default()
        );
        let output = failed.output.trim_end();
        if !output.is_empty() {
            report.push_str("\n--- its output ---\n");
            report.push_str(&tail(output, 60));
        }
        Some(report)
    }

    /// The whole build log as text, one step after another.
    pub fn transcript(&self) -> String {
        let mut text = String::new();
        for (n, step) in self
            .order
            .iter()
            .filter_map(|v| self.steps.get(v))
            .enumerate()
        {
            let state = match (&step.error, step.cached) {
                (Some(e), _) => format!(" ERROR {e}"),
                (None, true) => " CACHED".to_owned(),
                _ => String::new(),
            };
            text.push_str(&format!("#{} {}{state}\n", n + 1, step.name));
            for line in step.output.lines() {
                text.push_str(&format!("#{} {line}\n", n + 1));
            }
        }
        text
    }
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
#[path = "progress_tests.rs"]
mod tests;
