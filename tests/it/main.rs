//! barkcheck's integration tests: one binary, one module per area. Tests that need AWS start
//! their own stand-in on loopback (see harness.rs).

mod bundled;
mod faults;
mod harness;
mod lint;
mod properties;
mod record;
mod reports;
mod review;
mod run_aws;
mod snapshot;
mod state;
