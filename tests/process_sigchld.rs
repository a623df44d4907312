//! The tests of `tests/process.rs`, with the pidfd path switched off
//! (`RAMEN_NO_PIDFD`): every exit is learned through SIGCHLD, as on macOS.
//! One `#[test]` so the variable is set before any child is spawned.

mod process_support;

#[test]
fn every_process_test_on_the_sigchld_path() {
    // SAFETY: set before any other thread of this binary exists (one test).
    unsafe { std::env::set_var("RAMEN_NO_PIDFD", "1") };
    process_support::output_is_read_while_a_timer_ticks();
    process_support::a_hundred_children_at_once_leave_no_zombie();
    process_support::missing_program_is_not_found();
    process_support::a_killed_child_reports_its_signal();
    process_support::stdin_and_stdout_pipes_round_trip();
    process_support::kill_on_drop_kills_and_drop_alone_does_not();
    process_support::a_child_spawned_with_std_is_not_reaped_by_ramen();
    process_support::a_dropped_wait_loses_nothing();
    process_support::wait_closes_a_piped_stdin_first();
    process_support::a_dropped_child_is_reaped_by_the_sigchld_handler();
}
