//! The operating system's trusted root certificates, read once per process, and read early.
//!
//! Three parts of a run trust the system's CAs: the AWS SDK's HTTPS client, the probes of public
//! endpoints and the TLS connection to PostgreSQL. Each used to read and parse the certificate
//! bundle and directory on its own, inside the async runtime, where the first AWS request and the
//! first probe waited for it (a few ms each, on every run). Here the probes and PostgreSQL share
//! one parsed store, and [`warm_up`] fills it, and the SDK's own copy, on a thread of its own
//! while the checklist is still being read.

use std::sync::OnceLock;

use rustls::RootCertStore;

/// The system's trusted CAs, parsed. Unreadable or unparsable certificates only shrink the
/// store: a server signed by none of the rest fails its handshake with a message that says so.
pub fn native() -> &'static RootCertStore {
    static NATIVE: OnceLock<RootCertStore> = OnceLock::new();
    NATIVE.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        roots
    })
}

/// Starts reading the system's CAs on a background thread: [`native`], and the copy the AWS
/// SDK's HTTPS client keeps, which it would otherwise read when the first AWS request connects.
/// Whoever needs either before the thread is done waits for it rather than reading twice.
pub fn warm_up() {
    let spawned = std::thread::Builder::new()
        .name("barkcheck-roots".into())
        .spawn(|| {
            // Building a connector is what makes the SDK read its roots; the connector itself
            // is dropped (the SDK's client builds its own, from the same cached roots).
            drop(
                aws_smithy_http_client::Connector::builder()
                    .tls_provider(super::aws::tls_provider())
                    .build(),
            );
            native();
        });
    // Without the thread, everything still reads the roots when it first needs them.
    drop(spawned);
}
