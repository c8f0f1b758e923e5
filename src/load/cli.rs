//! `ringside load`: flags, validation into a [`LoadConfig`], output.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::config::{H2Client, LoadConfig, Protocol, RateSchedule, ResponseCheck, Schedule, Stop};
use super::target::is_loopback_host;
use super::{progress, record, sys, terminal};
use crate::error::bad_input;

/// Flags of `ringside load`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ringside load http://127.0.0.1:8080/plaintext -c 64 -d 10s
  ringside load http://127.0.0.1:8080/json --rate 5000 -d 30s --json
  ringside load http://127.0.0.1:8080/ --rate 1000:5000:10s      (ramp)
  ringside load http://127.0.0.1:8080/ --rate 1000@5s,2000@5s    (steps)
  ringside load --http2 http://127.0.0.1:8080/json -c 4 --streams 32   (h2c)
  ringside load --http2 --insecure https://127.0.0.1:8443/json -c 4 --streams 32
  ringside load --urls-file urls.txt -n 100000 -m POST --body '{}' -H 'Content-Type: application/json'")]
pub struct LoadArgs {
    /// Target URL(s), requested in rotation.
    pub urls: Vec<String>,
    /// Drive WebSocket chat clients instead of HTTP requests (see spec/ws-chat.md).
    #[arg(long)]
    pub ws: bool,
    /// The HTTP flags (boxed: they are many, and clap's subcommand enum stays small).
    #[command(flatten)]
    pub http: Box<HttpFlags>,
    /// The WebSocket chat flags (with `--ws`).
    #[command(flatten)]
    pub ws_flags: crate::load::ws::cli::WsFlags,
    /// The agent flags: one part of a run split over several agents.
    #[command(flatten)]
    pub agent: crate::load::shard::AgentFlags,
    /// Waiting for another ringside measuring on this machine.
    #[command(flatten)]
    pub machine: crate::proc::machine_lock::MachineFlags,
}

/// The HTTP load flags of `ringside load`.
#[derive(Debug, Args)]
pub struct HttpFlags {
    /// More target URLs, one per line (blank lines and # comments skipped).
    #[arg(long, value_name = "FILE")]
    pub urls_file: Option<PathBuf>,
    /// HTTP method.
    #[arg(short, long, default_value = "GET")]
    pub method: String,
    /// Extra request header `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Request body.
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Request body read from a file.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Keep-alive connections.
    #[arg(short, long, default_value_t = 64)]
    pub connections: usize,
    /// How long to record, e.g. `10s`, `1m` [default: 10s; with --rate steps or a
    /// ramp: the schedule's length].
    #[arg(short, long, value_parser = humantime::parse_duration, conflicts_with = "requests")]
    pub duration: Option<Duration>,
    /// Stop after exactly this many recorded requests instead of a duration.
    #[arg(short = 'n', long)]
    pub requests: Option<u64>,
    /// Open loop at a planned rate, req/s: `R` constant, `A:B:DUR` a ramp from A
    /// to B over DUR, `R1@DUR1,R2@DUR2,...` steps. Latency counts from each
    /// request's intended send time.
    #[arg(long, value_name = "RATE", allow_hyphen_values = true)]
    pub rate: Option<String>,
    /// Per-request timeout.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// Warm-up before recording starts (requests sent but not counted; with
    /// --ws: messages sent on plan after connecting, read but not counted).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
    pub warmup: Duration,
    /// Count a response whose status differs as a `check` error.
    #[arg(long, value_name = "CODE")]
    pub expect_status: Option<u16>,
    /// Count a response whose body lacks this text as a `check` error.
    #[arg(long, value_name = "TEXT")]
    pub expect_body: Option<String>,
    /// Pin the generator to these cores, e.g. `1`, `0,1`, `0-3`.
    #[arg(long, value_name = "LIST")]
    pub cpus: Option<String>,
    /// Worker threads [default: one per pinned core, else 1].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print the report as JSON (schema ringside.load/1) instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Write HdrHistogram's plottable percentile distribution (ms) to FILE.
    #[arg(long, value_name = "FILE")]
    pub percentiles: Option<PathBuf>,
    /// Include the raw histogram (base64 HdrHistogram V2+deflate) in the JSON.
    #[arg(long)]
    pub histogram: bool,
    /// Allow targets that are not on this machine.
    #[arg(long)]
    pub allow_remote: bool,
    /// Speak HTTP/2: h2c with prior knowledge for http:// URLs, TLS with
    /// ALPN `h2` for https:// URLs. A server that does not speak HTTP/2 is
    /// refused (exit 1).
    #[arg(long)]
    pub http2: bool,
    /// HTTP/2: concurrent streams per connection (`-c` connections × N
    /// streams requests in flight, each paced like a connection).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub streams: usize,
    /// TLS: accept any server certificate (a self-signed test server).
    #[arg(long, short = 'k')]
    pub insecure: bool,
    /// HTTP/2 client: `lean` (ringside's own frame loop, the default) or
    /// `h2-crate` (the `h2` crate); bench/load_vs_h2load.sh measures both.
    #[arg(long, value_name = "IMPL", value_enum, default_value_t = H2Client::Lean)]
    pub h2_client: H2Client,
}

/// A flag with a value that cannot be used; the message names both.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("no target URL: give one or more URLs, or --urls-file")]
    NoUrl,
    #[error("URL `{url}` is not valid: {reason}")]
    BadUrl { url: String, reason: String },
    #[error(
        "URL `{0}` is not http:// (ringside load speaks HTTP/1.1 over plain TCP; https:// \
         needs --http2)"
    )]
    NotHttp(String),
    #[error(
        "URL `{0}` is not on this machine; ringside only loads 127.0.0.0/8, ::1 and \
         localhost unless --allow-remote is given"
    )]
    Remote(String),
    #[error("--{flag} `{value}`: {reason}")]
    Flag {
        flag: &'static str,
        value: String,
        reason: String,
    },
    #[error("--{flag} `{path}` cannot be read")]
    File {
        flag: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Longest `-d` and `--warmup`: an hour, as `ringside run --duration`.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);

fn flag(flag: &'static str, value: impl ToString, reason: impl Into<String>) -> anyhow::Error {
    bad_input(InputError::Flag {
        flag,
        value: value.to_string(),
        reason: reason.into(),
    })
}

/// Parses a `--rate` value (see the flag's help) into a schedule and its natural length.
pub fn parse_rate(text: &str) -> anyhow::Result<(RateSchedule, Option<Duration>)> {
    let rps = |s: &str| -> anyhow::Result<f64> {
        let value: f64 = s
            .trim()
            .parse()
            .map_err(|_| flag("rate", text, format!("`{s}` is not a number of requests/s")))?;
        if !value.is_finite() || value <= 0.0 {
            return Err(flag(
                "rate",
                text,
                "a rate must be a positive number of requests/s",
            ));
        }
        Ok(value)
    };
    let dur = |s: &str| -> anyhow::Result<Duration> {
        let d = humantime::parse_duration(s.trim())
            .map_err(|_| flag("rate", text, format!("`{s}` is not a duration like 5s")))?;
        if d.is_zero() {
            return Err(flag(
                "rate",
                text,
                "a step or ramp must last longer than 0s",
            ));
        }
        Ok(d)
    };
    if text.contains('@') {
        let mut steps = Vec::new();
        for part in text.split(',') {
            let (r, d) = part
                .split_once('@')
                .ok_or_else(|| flag("rate", text, format!("step `{part}` is not RATE@DURATION")))?;
            steps.push((rps(r)?, dur(d)?));
        }
        let total = steps.iter().map(|s| s.1).sum();
        Ok((RateSchedule::Steps { steps }, Some(total)))
    } else if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let [from, to, over] = parts[..] else {
            return Err(flag(
                "rate",
                text,
                "a ramp is FROM:TO:DURATION, e.g. 1000:5000:10s",
            ));
        };
        let over = dur(over)?;
        let schedule = RateSchedule::Ramp {
            from_rps: rps(from)?,
            to_rps: rps(to)?,
            over,
        };
        Ok((schedule, Some(over)))
    } else {
        Ok((RateSchedule::Constant { rps: rps(text)? }, None))
    }
}

/// Checks one URL: parseable, http:// (or https:// when `https` is allowed),
/// loopback unless `allow_remote`.
pub fn parse_url(text: &str, allow_remote: bool, https: bool) -> anyhow::Result<url::Url> {
    let url = url::Url::parse(text.trim()).map_err(|err| {
        bad_input(InputError::BadUrl {
            url: text.into(),
            reason: err.to_string(),
        })
    })?;
    if !(url.scheme() == "http" || (https && url.scheme() == "https")) {
        return Err(bad_input(InputError::NotHttp(text.into())));
    }
    let host = url.host().ok_or_else(|| {
        bad_input(InputError::BadUrl {
            url: text.into(),
            reason: "no host".into(),
        })
    })?;
    if !allow_remote && !is_loopback_host(&host) {
        return Err(bad_input(InputError::Remote(text.into())));
    }
    Ok(url)
}

/// One `-H "Name: value"`: the name an RFC 9110 token, the value without
/// CR, LF or another control byte (which would end the header line and start
/// another: header injection).
fn parse_header(h: &str) -> anyhow::Result<(String, String)> {
    let shown = crate::input::printable(h, 120);
    let (k, v) = h
        .split_once(':')
        .filter(|(k, _)| !k.trim().is_empty() && !k.contains(char::is_whitespace))
        .ok_or_else(|| flag("header", &shown, "a header is `Name: value`"))?;
    let (k, v) = (k.trim(), v.trim_matches([' ', '\t']));
    if hyper::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
        return Err(flag(
            "header",
            &shown,
            format!(
                "the name `{}` may hold only letters, digits and !#$%&'*+-.^_`|~ (an RFC 9110 token)",
                crate::input::printable(k, 60)
            ),
        ));
    }
    if hyper::header::HeaderValue::from_bytes(v.as_bytes()).is_err() {
        return Err(flag(
            "header",
            &shown,
            format!(
                "the value of `{k}` holds CR, LF or another control byte, which would inject a header line"
            ),
        ));
    }
    Ok((k.to_string(), v.to_string()))
}

fn read_file(flag: &'static str, path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| {
        bad_input(InputError::File {
            flag,
            path: path.clone(),
            source,
        })
    })
}

impl LoadArgs {
    /// Validates the flags into a [`LoadConfig`]; every error names the flag and value.
    pub fn to_config(&self) -> anyhow::Result<LoadConfig> {
        let mut cfg = self.http.to_config(&self.urls)?;
        cfg.agent = crate::load::shard::plan_for(&self.agent, &cfg)?;
        Ok(cfg)
    }
}

impl HttpFlags {
    /// Validates the flags, with the positional `urls`, into a [`LoadConfig`].
    pub fn to_config(&self, urls: &[String]) -> anyhow::Result<LoadConfig> {
        let mut texts = urls.to_vec();
        if let Some(path) = &self.urls_file {
            let content = String::from_utf8_lossy(&read_file("urls-file", path)?).into_owned();
            texts.extend(
                content
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        }
        if texts.is_empty() {
            return Err(bad_input(InputError::NoUrl));
        }
        let urls = texts
            .iter()
            .map(|t| parse_url(t, self.allow_remote, self.http2))
            .collect::<anyhow::Result<Vec<_>>>()?;

        let method = self.method.trim().to_ascii_uppercase();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') {
            return Err(flag("method", &self.method, "not an HTTP method"));
        }
        let mut headers = Vec::new();
        for h in &self.headers {
            headers.push(parse_header(h)?);
        }
        let body = match (&self.body, &self.body_file) {
            (Some(b), _) => Some(b.clone().into_bytes()),
            (None, Some(path)) => Some(read_file("body-file", path)?),
            (None, None) => None,
        };
        if self.connections == 0 {
            return Err(flag("connections", 0, "at least one connection is needed"));
        }
        if self.streams == 0 {
            return Err(flag(
                "streams",
                0,
                "at least one stream per connection is needed",
            ));
        }
        if self.streams > 1 && !self.http2 {
            return Err(flag(
                "streams",
                self.streams,
                "concurrent streams need HTTP/2: add --http2",
            ));
        }
        if self.h2_client != H2Client::Lean && !self.http2 {
            return Err(flag(
                "h2-client",
                "h2-crate",
                "an HTTP/2 client needs HTTP/2: add --http2",
            ));
        }
        if self.timeout.is_zero() {
            return Err(flag("timeout", "0s", "the timeout must be longer than 0s"));
        }

        let (schedule, natural) = match &self.rate {
            Some(text) => {
                let (s, natural) = parse_rate(text)?;
                (Schedule::Open(s), natural)
            }
            None => (Schedule::Closed, None),
        };
        let stop = match (self.requests, self.duration) {
            (Some(0), _) => return Err(flag("requests", 0, "at least one request is needed")),
            (Some(n), _) => Stop::Requests(n),
            (None, Some(d)) if d.is_zero() => {
                return Err(flag(
                    "duration",
                    "0s",
                    "the duration must be longer than 0s",
                ));
            }
            (None, Some(d)) => Stop::Duration(d),
            (None, None) => Stop::Duration(natural.unwrap_or(Duration::from_secs(10))),
        };
        // The same bound as `ringside run` (a typo like `10y` is not a plan).
        if let Stop::Duration(d) = stop
            && d > MAX_DURATION
        {
            let which = if self.duration.is_some() {
                "duration"
            } else {
                "rate"
            };
            return Err(flag(
                which,
                humantime::format_duration(d),
                "the load must last at most 1h (a longer one is several runs)",
            ));
        }
        if self.warmup > MAX_DURATION {
            return Err(flag(
                "warmup",
                humantime::format_duration(self.warmup),
                "must be at most 1h",
            ));
        }

        let cpus = match &self.cpus {
            Some(text) => {
                let cpus =
                    sys::parse_cpu_list(text).map_err(|reason| flag("cpus", text, reason))?;
                let allowed = sys::allowed_cpus();
                if let Some(bad) = cpus.iter().find(|c| !allowed.contains(c)) {
                    return Err(flag(
                        "cpus",
                        text,
                        format!("core {bad} is not available (this process may use {allowed:?})"),
                    ));
                }
                Some(cpus)
            }
            None => None,
        };
        let threads = match self.threads {
            Some(0) => return Err(flag("threads", 0, "at least one thread is needed")),
            Some(n) => n,
            None => cpus.as_ref().map_or(1, Vec::len),
        };
        let check =
            (self.expect_status.is_some() || self.expect_body.is_some()).then(|| ResponseCheck {
                status: self.expect_status,
                body_contains: self.expect_body.clone(),
            });
        Ok(LoadConfig {
            urls,
            method,
            headers,
            body,
            connections: self.connections,
            stop,
            schedule,
            timeout: self.timeout,
            grace: super::config::DEADLINE_GRACE,
            check,
            cpus,
            threads,
            keep_histogram: self.histogram || self.percentiles.is_some(),
            warmup: self.warmup,
            allow_remote: self.allow_remote,
            agent: Default::default(),
            protocol: if self.http2 {
                Protocol::Http2
            } else {
                Protocol::Http1
            },
            streams: self.streams,
            insecure: self.insecure,
            h2_client: self.h2_client,
        })
    }
}

/// The warning of a load measured with `--shared-machine`.
pub const SHARED_MACHINE_WARNING: &str = "measured with --shared-machine: another ringside may have been measuring on the same cores, so these figures may be low";

/// Runs `ringside load`.
pub fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    if args.ws {
        return run_ws(&args);
    }
    let cfg = args.to_config()?;
    super::bounds::check(&cfg, &super::bounds::Machine::here())?;
    // Before anything is pinned: one measuring ringside at a time.
    let _machine = crate::proc::machine_lock::take(&args.machine, "load")?;
    // On Ctrl-C the engine stops sending and what was measured is printed.
    crate::proc::guard::defer_exit();
    crate::proc::guard::set_interrupt_note("printing what was measured so far");
    if let Some(cpus) = &cfg.cpus {
        // Threads made from here on (the runtime, the progress ticker) inherit the mask.
        sys::pin_current_thread(cpus)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut report = runtime.block_on(progress::execute_with_progress(&cfg))?;
    if args.machine.shared_machine {
        report.warnings.push(SHARED_MACHINE_WARNING.to_string());
    }

    if let Some(path) = &args.http.percentiles {
        let b64 = report
            .histogram_b64
            .as_deref()
            .context("the run kept no histogram")?;
        let text = record::percentile_distribution(&record::from_base64(b64)?);
        std::fs::write(path, text).with_context(|| {
            format!("writing the percentile distribution to {}", path.display())
        })?;
    }
    if !args.http.histogram && cfg.agent.shard.is_none() {
        report.histogram_b64 = None;
        report.histogram_uncorrected_b64 = None;
    }
    let mut stdout = std::io::stdout().lock();
    if args.http.json {
        serde_json::to_writer_pretty(&mut stdout, &report).context("writing the JSON report")?;
        use std::io::Write as _;
        writeln!(stdout).context("writing the JSON report")?;
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
    } else {
        terminal::write_summary(&mut stdout, &cfg, &report).context("writing the summary")?;
    }
    Ok(ExitCode::from(exit_code(&cfg, &report)))
}

/// [`crate::exit::FAILED`] when no request succeeded: nothing answered, or
/// every answer had an error status (4xx/5xx, unless `--expect-status`
/// asked for it) or failed its check; else [`crate::exit::OK`].
pub fn exit_code(cfg: &LoadConfig, report: &super::LoadReport) -> u8 {
    let expects_status = cfg.check.as_ref().is_some_and(|c| c.status.is_some());
    let answered: u64 = if expects_status {
        report.requests
    } else {
        report.status_counts.range(..400).map(|(_, n)| n).sum()
    };
    if answered.saturating_sub(report.errors.check) == 0 {
        crate::exit::FAILED
    } else {
        crate::exit::OK
    }
}

/// `ringside load --ws`: the shared flags are validated as for HTTP (loopback,
/// cores, threads, duration), then the chat engine runs.
fn run_ws(args: &LoadArgs) -> anyhow::Result<ExitCode> {
    let [text] = args.urls.as_slice() else {
        return Err(crate::error::bad_input_msg(
            "--ws takes exactly one URL, e.g. ws://127.0.0.1:8080/ws/chat",
        ));
    };
    let Some(rest) = text.strip_prefix("ws://") else {
        return Err(flag(
            "ws",
            text,
            "a WebSocket URL starts with ws:// (wss is not supported)",
        ));
    };
    let cfg = args.http.to_config(&[format!("http://{rest}")])?;
    let agent = args.agent.to_plan()?;
    let duration = match cfg.stop {
        Stop::Duration(d) => d,
        Stop::Requests(_) => return Err(flag("requests", "-n", "does not apply to --ws; use -d")),
    };
    if matches!(cfg.schedule, Schedule::Open(_)) {
        return Err(flag(
            "rate",
            "--rate",
            "does not apply to --ws; use --msg-rate (per client)",
        ));
    }
    super::bounds::check_connections(
        "--clients",
        args.ws_flags.clients,
        &super::bounds::Machine::here(),
    )?;
    let _machine = crate::proc::machine_lock::take(&args.machine, "load")?;
    if args.machine.shared_machine {
        eprintln!("warning: {SHARED_MACHINE_WARNING}");
    }
    let mut url = cfg.urls[0].clone();
    url.set_scheme("ws")
        .map_err(|()| crate::error::bad_input_msg(format!("cannot use `{text}` as a ws:// URL")))?;
    crate::load::ws::cli::run(
        crate::load::ws::cli::Common {
            url,
            duration,
            warmup: cfg.warmup,
            json: args.http.json,
            cpus: cfg.cpus,
            threads: cfg.threads,
            keep_histogram: cfg.keep_histogram,
            agent,
        },
        &args.ws_flags,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        args: LoadArgs,
    }

    fn config(argv: &[&str]) -> anyhow::Result<LoadConfig> {
        let mut full = vec!["load"];
        full.extend_from_slice(argv);
        Wrap::try_parse_from(full).unwrap().args.to_config()
    }

    fn message(argv: &[&str]) -> String {
        let err = config(argv).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2, "{err:#}");
        format!("{err:#}")
    }

    #[test]
    fn rates() {
        assert_eq!(
            parse_rate("250").unwrap(),
            (RateSchedule::Constant { rps: 250.0 }, None)
        );
        let (ramp, len) = parse_rate("1000:5000:10s").unwrap();
        assert_eq!(len, Some(Duration::from_secs(10)));
        assert!(
            matches!(ramp, RateSchedule::Ramp { from_rps, to_rps, .. } if from_rps == 1000.0 && to_rps == 5000.0)
        );
        let (steps, len) = parse_rate("1000@5s,2000@500ms").unwrap();
        assert_eq!(len, Some(Duration::from_millis(5500)));
        assert!(matches!(steps, RateSchedule::Steps { steps } if steps.len() == 2));
        for bad in [
            "0", "-5", "abc", "NaN", "inf", "1:2", "1@", "1@0s", "5@x", "",
        ] {
            let err = parse_rate(bad).unwrap_err();
            assert_eq!(crate::error::exit_code(&err), 2, "{bad}");
            assert!(err.to_string().contains("--rate"), "{bad}: {err}");
        }
    }

    #[test]
    fn defaults_and_shapes() {
        let cfg = config(&["http://127.0.0.1:1/x"]).unwrap();
        assert_eq!(cfg.stop, Stop::Duration(Duration::from_secs(10)));
        assert_eq!(cfg.schedule, Schedule::Closed);
        assert_eq!((cfg.threads, cfg.connections), (1, 64));
        let cfg = config(&["http://localhost:1/", "--rate", "10@1s,20@2s"]).unwrap();
        assert_eq!(cfg.stop, Stop::Duration(Duration::from_secs(3)));
        let cfg = config(&["http://[::1]:1/", "-n", "7", "--cpus", "0", "-H", "A: b:c"]).unwrap();
        assert_eq!(cfg.stop, Stop::Requests(7));
        assert_eq!(cfg.threads, 1);
        assert_eq!(cfg.headers, vec![("A".into(), "b:c".into())]);
    }

    #[test]
    fn bad_input_names_flag_and_value() {
        assert!(message(&[]).contains("no target URL"));
        assert!(message(&["not a url"]).contains("`not a url`"));
        assert!(message(&["https://127.0.0.1/"]).contains("not http://"));
        assert!(message(&["http://example.com/"]).contains("--allow-remote"));
        assert!(message(&["http://127.0.0.1/", "--rate", "0"]).contains("--rate `0`"));
        assert!(message(&["http://127.0.0.1/", "-c", "0"]).contains("--connections"));
        assert!(message(&["http://127.0.0.1/", "-H", "novalue"]).contains("--header `novalue`"));
        let injected = message(&["http://127.0.0.1/", "-H", "X: a\r\nInjected: 1"]);
        assert!(
            injected.contains("--header `X: a\\r\\nInjected: 1`")
                && injected.contains("value of `X` holds CR, LF"),
            "{injected}"
        );
        assert!(
            message(&["http://127.0.0.1/", "-H", "X\r\nY: 1"]).contains("--header `X\\r\\nY: 1`")
        );
        assert!(message(&["http://127.0.0.1/", "-H", "X: a\0b"]).contains("control byte"));
        assert!(message(&["http://127.0.0.1/", "-H", "X(y): 1"]).contains("RFC 9110 token"));
        let ok = config(&[
            "http://127.0.0.1/",
            "-H",
            "X-Tab:\ta\tb ",
            "-H",
            "X-Utf8: caf\u{e9}",
        ])
        .unwrap();
        assert_eq!(
            ok.headers,
            vec![
                ("X-Tab".into(), "a\tb".into()),
                ("X-Utf8".into(), "caf\u{e9}".into())
            ]
        );
        assert!(message(&["http://127.0.0.1/", "--cpus", "x"]).contains("--cpus `x`"));
        assert!(message(&["http://127.0.0.1/", "--cpus", "4096"]).contains("not available"));
        let missing = message(&["http://127.0.0.1/", "--body-file", "/nonexistent/body"]);
        assert!(
            missing.contains("--body-file `/nonexistent/body`"),
            "{missing}"
        );
        assert!(config(&["http://example.com/", "--allow-remote"]).is_ok());
    }
}
