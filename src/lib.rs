//! barkcheck's library: the checklist model, the verifiers, the runner, the state and the
//! reports. The binary in `main.rs` only parses the command line and maps results to exit
//! codes; integration tests reach the pieces they need from here.

pub mod checklist;
pub mod cli;
pub mod commands;
pub mod report;
pub mod runner;
pub mod state;
pub mod verify;
