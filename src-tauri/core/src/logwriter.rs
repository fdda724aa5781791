//! The log's writer for `scimdesk serve`: a line per request, without a thread switch per line.
//!
//! A request appends its formatted line to a buffer in memory (a lock held for a copy) and goes
//! on. A thread of its own writes the buffer out: at once when it was idle, so a quiet server's
//! log is as prompt as a direct write, and then at most every [`BATCH`], so under load the lines
//! of that interval reach the file in one write, and the thread is not woken for each of them.
//! Nothing is dropped: a request whose line would overfill the buffer waits until it is written.
//! [`LogGuard`] writes what is left when it is dropped (at exit).

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the writer thread lets lines gather after a write, while lines keep coming.
pub const BATCH: Duration = Duration::from_millis(20);

/// Bytes the buffer holds before a line waits for it to be written.
const CAPACITY: usize = 1 << 20;

#[derive(Default)]
struct State {
    lines: Vec<u8>,
    /// The writer thread is waiting for lines: the next line wakes it.
    idle: bool,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the writer thread (a first line, or closing).
    work: Condvar,
    /// Wakes lines waiting for room.
    room: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A `MakeWriter` for `tracing_subscriber`: each event's text is appended whole.
#[derive(Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

/// Stops the writer thread, once what was logged is written.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A writer over `out`, and the guard that flushes it.
pub fn batched(out: impl Write + Send + 'static) -> std::io::Result<(LogWriter, LogGuard)> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        work: Condvar::new(),
        room: Condvar::new(),
    });
    let thread = std::thread::Builder::new()
        .name("scimdesk-log".into())
        .spawn({
            let shared = shared.clone();
            move || write_out(&shared, out)
        })?;
    Ok((
        LogWriter {
            shared: shared.clone(),
        },
        LogGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

fn write_out(shared: &Shared, mut out: impl Write) {
    let mut taken = Vec::new();
    loop {
        let closed = {
            let mut state = shared.lock();
            while state.lines.is_empty() && !state.closed {
                state.idle = true;
                state = shared.work.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            state.idle = false;
            std::mem::swap(&mut state.lines, &mut taken);
            state.closed
        };
        shared.room.notify_all();
        // A log that cannot be written (a full disk) must not stop the server.
        let _ = out.write_all(&taken).and_then(|()| out.flush());
        taken.clear();
        if closed {
            return;
        }
        std::thread::sleep(BATCH);
    }
}

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut state = self.shared.lock();
        while !state.closed && !state.lines.is_empty() && state.lines.len() + buf.len() > CAPACITY {
            state = self
                .shared
                .room
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
        state.lines.extend_from_slice(buf);
        if state.idle {
            state.idle = false;
            self.shared.work.notify_one();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Records each write it gets, as the file would.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().concat()).unwrap()
        }
        fn writes(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }

    #[test]
    fn a_line_on_a_quiet_log_is_written_at_once() {
        let sink = Sink::default();
        let (mut log, _guard) = batched(sink.clone()).unwrap();
        // Let the thread go idle, as on a quiet server.
        std::thread::sleep(BATCH * 3);
        log.write_all(b"one request\n").unwrap();
        let started = Instant::now();
        while sink.text().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(5), "never written");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(sink.text(), "one request\n");
    }

    #[test]
    fn lines_under_load_are_written_together_in_order_and_all_at_exit() {
        let sink = Sink::default();
        let (log, guard) = batched(sink.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        log.write_all(format!("{t} {i}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let text = sink.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 20_000, "every line is written, none twice");
        for t in 0..4 {
            let mine: Vec<usize> = lines
                .iter()
                .filter_map(|l| l.strip_prefix(&format!("{t} ")))
                .map(|i| i.parse().unwrap())
                .collect();
            assert_eq!(
                mine,
                (0..5_000).collect::<Vec<_>>(),
                "thread {t}'s lines in order"
            );
        }
        assert!(
            sink.writes() < 1_000,
            "20,000 lines took {} writes",
            sink.writes()
        );
    }

    #[test]
    fn a_line_that_would_overfill_the_buffer_waits_for_the_write() {
        let sink = Sink::default();
        let (mut log, guard) = batched(sink.clone()).unwrap();
        let big = vec![b'x'; CAPACITY - 10];
        for _ in 0..3 {
            log.write_all(&big).unwrap();
        }
        drop(guard);
        assert_eq!(sink.text().len(), 3 * big.len());
        assert!(sink.0.lock().unwrap().iter().all(|w| w.len() <= CAPACITY));
    }
}
