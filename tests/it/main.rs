//! barkcheck's integration tests: one binary, one module per area. Tests that need AWS start
//! their own stand-in on loopback (see harness.rs).

mod bundled;
mod faults;
mod harness;
mod lint;
mod properties;
mod record;
mod review;
mod run_aws;
mod shared_state;
mod state;
