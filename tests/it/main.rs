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
mod local_standin;
mod probes;
mod properties;
mod record;
mod reports;
mod review;
mod run_aws;
mod run_aws_app;
mod run_aws_edge;
mod run_aws_security;
mod run_local;
mod run_postgres;
mod secrets;
mod shared_state;
mod snapshot;
mod state;
mod targets;
