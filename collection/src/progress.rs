//! Progress on standard error while a collection runs.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress on stderr: a bar on a terminal, one line per step and token otherwise, or
/// nothing.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Self {
        if !enabled {
            return Self { bar: None, lines: false };
        }
        if !std::io::stderr().is_terminal() {
            return Self { bar: None, lines: true };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar: Some(bar), lines: false }
    }

    /// A step before or after the tokens.
    pub(crate) fn step(&self, message: impl Into<String>) {
        let message = message.into();
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        } else if self.lines {
            eprintln!("{message}");
        }
    }

    /// A message shown on the bar only (too frequent for lines).
    pub(crate) fn status(&self, message: impl Into<String>) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.into());
        }
    }

    /// A line that stays (printed above the bar).
    pub(crate) fn note(&self, message: impl AsRef<str>) {
        if let Some(bar) = &self.bar {
            bar.println(message);
        } else if self.lines {
            eprintln!("{}", message.as_ref());
        }
    }

    pub(crate) fn start_tokens(&self, count: usize) {
        if let Some(bar) = &self.bar {
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} tokens  {elapsed}  eta {eta}  {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_length(count as u64);
            bar.set_position(0);
            bar.reset_eta();
        }
    }

    pub(crate) fn token_done(&self, line: impl AsRef<str>) {
        self.note(line);
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub(crate) fn waiting(&self) {
        if let Some(bar) = &self.bar
            && let Ok(style) = ProgressStyle::with_template("{spinner} {msg}  {elapsed}")
        {
            bar.set_style(style);
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
