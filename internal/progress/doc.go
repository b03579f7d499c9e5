// Package progress shows what a running clone is doing and how long is left.
//
// A Reporter is a run's observer (package observe): it is told when each
// phase starts (PhaseStarted), what the plan expects each table to hold
// (Estimate), each table's running counts while the rows stream (Rows),
// and when the run is over (Done). Three kinds render it:
//
//   - tty: live bars on a terminal (github.com/vbauerster/mpb/v8): a line
//     for the phase and its elapsed time, a total bar with rows, bytes,
//     rate and ETA, and one bar per table recently copied into;
//   - plain: timestamped lines for logs (CI), one at each phase change and
//     one every Interval (10 s) in between, never a carriage return or an
//     escape sequence;
//   - none: nothing (--quiet, --json without a terminal, --progress=none).
//
// The total is the plan's estimate, corrected as real counts arrive: a
// table that turns out bigger than its estimate counts with its real rows.
// The ETA is the copy's: the rows left at the average rate so far. Later
// phases (indexes and constraints, analyze) show their elapsed time, as
// PostgreSQL does not say how far an index build has got.
package progress
