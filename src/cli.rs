//! The plugin's command line, as the Pulumi engine writes it:
//! `pulumi-resource-docker-build [--logtostderr] [-v=N] [--tracing X] [ENGINE]`.
//! The engine address is the last positional argument; with none, the
//! provider runs in attach mode and learns it from the Attach call.

/// What the command line asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The engine's `host:port`, if given.
    pub engine: Option<String>,
    /// Also log to stderr.
    pub log_to_stderr: bool,
    /// Verbosity, from `-v=N`.
    pub verbosity: u8,
    /// A tracing endpoint (accepted; not used).
    pub tracing: Option<String>,
}

/// Parses arguments (without the program name). Unknown flags are
/// tolerated so a newer engine's additions never stop the plugin.
pub fn parse(args: impl IntoIterator<Item = String>) -> Options {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if arg.starts_with('-') => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        match flag.trim_start_matches('-') {
            "logtostderr" if arg.starts_with('-') => options.log_to_stderr = true,
            "v" if arg.starts_with('-') => {
                let value = inline.or_else(|| args.next());
                options.verbosity = value.and_then(|v| v.parse().ok()).unwrap_or(1);
            }
            "tracing" if arg.starts_with('-') => options.tracing = inline.or_else(|| args.next()),
            _ if arg.starts_with('-') => {}
            _ => options.engine = Some(arg),
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Options {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn engine_address_is_the_last_positional() {
        assert_eq!(
            args("127.0.0.1:4000").engine.as_deref(),
            Some("127.0.0.1:4000")
        );
        let o = args("--logtostderr -v=9 --tracing file:///t 127.0.0.1:5");
        assert_eq!(
            o,
            Options {
                engine: Some("127.0.0.1:5".into()),
                log_to_stderr: true,
                verbosity: 9,
                tracing: Some("file:///t".into())
            }
        );
        assert_eq!(args("--tracing=x -v 3 a b").engine.as_deref(), Some("b"));
    }

    #[test]
    fn no_positional_means_attach_mode() {
        assert_eq!(args("--logtostderr").engine, None);
        assert_eq!(args("--some-future-flag").engine, None);
    }
}
