//! barkcheck's integration tests: one binary, one module per area. Tests that need AWS start
//! their own stand-in on loopback (see harness.rs).

mod bundled;
mod ci_gate;
mod explain;
mod faults;
mod generated;
mod harness;
mod iam_policy;
mod import;
mod lint;
mod properties;
mod record;
mod review;
mod run_aws;
mod state;
