//! barkcheck's integration tests: one binary, one module per area. Tests that need AWS start
//! their own stand-in on loopback (see harness.rs).

mod bundled;
mod faults;
mod harness;
mod lint;
mod local_standin;
mod properties;
mod record;
mod review;
mod run_aws;
mod run_local;
mod run_postgres;
mod secrets;
mod state;
