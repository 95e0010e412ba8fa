//! The progress line of a run on stderr ("checking 12/38 …"), drawn only at a terminal.
//!
//! A thread redraws the line from the run's [`Progress`] counters a few times a second and
//! wipes it when the run is done, so the table on stdout starts on a clean line. Piped or
//! redirected output (CI logs) never sees it. A few lines of our own rather than a progress bar
//! crate: one counter needs no bar, no spinner and no terminal library.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::runner::Progress;

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// A progress line being drawn; [`ProgressLine::finish`] wipes it.
pub struct ProgressLine {
    stop: Arc<AtomicBool>,
    drawer: JoinHandle<()>,
}

impl ProgressLine {
    /// Starts drawing `progress` when stderr is a terminal; None otherwise.
    pub fn start(progress: Arc<Progress>) -> Option<ProgressLine> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let drawer = std::thread::spawn(move || {
            let mut shown = String::new();
            loop {
                let finished = stopped.load(Ordering::Relaxed);
                let total = progress.total.load(Ordering::Relaxed);
                let done = progress.done.load(Ordering::Relaxed);
                let line = format!("checking {done}/{total} …");
                if total > 0 && line != shown {
                    draw(&format!("\r{line}"));
                    shown = line;
                }
                if finished {
                    break;
                }
                std::thread::sleep(TICK);
            }
            if !shown.is_empty() {
                // Spaces over the line, then back to its start: no terminal escapes needed.
                let width = shown.chars().count();
                draw(&format!("\r{}\r", " ".repeat(width)));
            }
        });
        Some(ProgressLine { stop, drawer })
    }

    /// Draws the last count and wipes the line.
    pub fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.drawer.join();
    }
}

fn draw(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{text}");
    let _ = err.flush();
}
