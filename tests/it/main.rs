//! barkcheck's integration tests: one binary, one module per area. Tests that need AWS start
//! their own stand-in on loopback (see harness.rs).

mod bundled;
mod harness;
mod lint;
mod run_aws;
mod run_aws_app;
mod run_aws_edge;
mod state;
