//! Log lines (`--log-format text|json`), filtered by `RUST_LOG` (`info` unless set).
//!
//! Every line logged while a request is handled is inside its `request` span, which
//! carries its `request_id`; every line of a WebSocket connection is inside its
//! `websocket` span, which carries its `connection_id` (and the upgrade's `request_id`).
//! Text lines print the spans before the message; JSON lines carry them as `span` (the
//! innermost) and `spans` (all of them, outermost first), one object a line.

use std::io::Write;

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Installs the process's subscriber: stdout, in `format`.
pub fn init(format: LogFormat) {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    build(format, filter, std::io::stdout, ansi).init();
}

/// A subscriber writing bidroom's and tower-http's lines from `debug` up (everything else
/// from `info`) to `writer`, for tests.
pub fn subscriber<W>(format: LogFormat, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    build(
        format,
        EnvFilter::new("info,bidroom=debug,tower_http=debug"),
        writer,
        false,
    )
}

fn build<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let lines = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(lines.with_ansi(ansi).finish()),
        LogFormat::Json => Box::new(
            lines
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .finish(),
        ),
    }
}

/// Log lines kept in memory, for tests that read what was logged.
#[derive(Clone, Default)]
pub struct CapturedLines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLines {
    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("captured log lines").clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for CapturedLines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("captured log lines")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'writer> MakeWriter<'writer> for CapturedLines {
    type Writer = CapturedLines;

    fn make_writer(&'writer self) -> CapturedLines {
        self.clone()
    }
}
