//! `barkcheck run` against the AWS stand-in: PASS, FAIL with evidence, ERROR, per verifier.
