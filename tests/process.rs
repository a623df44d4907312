//! `ramen::process`: children awaited through the reactor (a pidfd on
//! Linux ≥ 5.3, else SIGCHLD). `tests/process_sigchld.rs` runs the same
//! tests with the SIGCHLD path forced.

mod process_support;

macro_rules! run {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            process_support::$name();
        }
    )*};
}

run!(
    output_is_read_while_a_timer_ticks,
    a_hundred_children_at_once_leave_no_zombie,
    missing_program_is_not_found,
    a_killed_child_reports_its_signal,
    stdin_and_stdout_pipes_round_trip,
    kill_on_drop_kills_and_drop_alone_does_not,
    a_child_spawned_with_std_is_not_reaped_by_ramen,
    a_dropped_wait_loses_nothing,
    wait_closes_a_piped_stdin_first,
    a_dropped_child_is_reaped_by_the_sigchld_handler,
);

#[test]
fn spawn_outside_a_runtime_starts_nothing() {
    let e = ramen::process::Command::new("true").spawn().unwrap_err();
    assert!(e.to_string().contains("block_on"), "{e}");
}
