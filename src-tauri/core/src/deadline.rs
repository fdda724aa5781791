//! The deadline of the request being served, where work that may run long looks at it.
//!
//! The HTTP edge gives every request a deadline ([`scope`]). A read on the request's path runs
//! synchronously on the request's thread, and a write runs on the writer thread, so neither can
//! be abandoned by dropping a future: instead SQLite's progress handler ([`interrupt_when_passed`])
//! interrupts a statement once the deadline of the work it runs for has passed, and long loops
//! in Rust ask [`passed`]. An interrupted write is rolled back like any failed write; what the
//! client gets is the edge's "took too long" answer.
//!
//! Not for: timing out whole requests (the edge does that) or anything outside a request (the
//! app's own reads and writes have no deadline).

use std::cell::Cell;
use std::future::Future;
use std::time::Instant;

tokio::task_local! {
    /// The deadline of the request a task serves.
    static REQUEST: Instant;
}

thread_local! {
    /// The deadline of the work this thread runs right now, if it has one.
    static CURRENT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// SQLite virtual-machine steps between two looks at the clock: about a tenth of a millisecond
/// of work, so an interrupted statement stops promptly for a few nanoseconds per look.
const STEPS_PER_CHECK: i32 = 10_000;

/// Runs `serve` as a request with this deadline.
pub async fn scope<F: Future>(deadline: Instant, serve: F) -> F::Output {
    REQUEST.scope(deadline, serve).await
}

/// The deadline of the request the calling task serves, if it serves one.
pub fn of_request() -> Option<Instant> {
    REQUEST.try_with(|d| *d).ok()
}

/// The deadline of the work at hand: the calling task's request's, else the one entered on this
/// thread (a blocking thread doing a request's work).
pub fn current() -> Option<Instant> {
    of_request().or_else(|| CURRENT.with(|c| c.get()))
}

/// Runs `work` on this thread with `deadline` as the current one (see [`passed`]).
pub fn enter<T>(deadline: Option<Instant>, work: impl FnOnce() -> T) -> T {
    struct Restore(Option<Instant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(deadline)));
    work()
}

/// Whether the work this thread runs has a deadline, and it has passed.
pub fn passed() -> bool {
    CURRENT
        .with(|c| c.get())
        .is_some_and(|d| Instant::now() >= d)
}

/// Makes SQLite interrupt a statement on `conn` once [`passed`] (on the thread running it).
pub fn interrupt_when_passed(conn: &rusqlite::Connection) {
    conn.progress_handler(STEPS_PER_CHECK, Some(passed));
}

/// Whether a database error is SQLite's answer to an interrupt.
pub fn is_interrupt(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _)
        if e.code == rusqlite::ErrorCode::OperationInterrupted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A statement that would count for minutes stops soon after the deadline, with SQLite's
    /// interrupt; the same connection then serves work without a deadline in full.
    #[test]
    fn a_statement_past_its_deadline_is_interrupted() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        interrupt_when_passed(&conn);
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
                       WHERE i < 10000000000) SELECT count(*) FROM n";
        let deadline = Instant::now() + Duration::from_millis(50);
        let err = enter(Some(deadline), || {
            conn.query_row(endless, (), |r| r.get::<_, i64>(0))
        })
        .unwrap_err();
        assert!(is_interrupt(&err), "{err}");
        assert!(
            !passed(),
            "the deadline ends with the work it was entered for"
        );
        let n: i64 = conn
            .query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
                 SELECT count(*) FROM n",
                (),
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 100_000);
    }

    #[tokio::test]
    async fn a_request_carries_its_deadline_to_the_work_it_enters() {
        assert_eq!(of_request(), None);
        let past = Instant::now() - Duration::from_millis(1);
        let seen = scope(past, async { enter(of_request(), passed) }).await;
        assert!(seen);
        let later = Instant::now() + Duration::from_secs(3600);
        assert!(!scope(later, async { enter(of_request(), passed) }).await);
    }
}
