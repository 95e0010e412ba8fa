//! The operating system's trusted root certificates, read once per process, and read early.
//!
//! Three parts of a run trust the system's CAs: the AWS SDK's HTTPS client, the probes of public
//! endpoints and the TLS connection to PostgreSQL. Reading them (the bundle and the directory of
//! `SSL_CERT_FILE`/`SSL_CERT_DIR`, or the system's defaults) takes a couple of ms, and the SDK
//! would read them once more for itself. Here they are read and parsed once: the probes and
//! PostgreSQL share the parsed store, and the SDK's client is given the same certificates
//! ([`sdk_tls_context`]) instead of reading its own. [`warm_up`] does the reading on a thread of
//! its own while the checklist is still being read, for a run that will need them early.

use std::sync::OnceLock;

use aws_smithy_http_client::tls::{TlsContext, TrustStore};
use base64::Engine;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

/// The trusted CAs, parsed, and the same certificates PEM-encoded, as the SDK takes them.
struct Native {
    store: RootCertStore,
    pem: Vec<u8>,
}

fn loaded() -> &'static Native {
    static NATIVE: OnceLock<Native> = OnceLock::new();
    NATIVE.get_or_init(|| {
        let mut native = Native {
            store: RootCertStore::empty(),
            pem: Vec::new(),
        };
        for cert in rustls_native_certs::load_native_certs().certs {
            // Only what parses as a trust anchor goes to the SDK too: it refuses anything else
            // by panicking, where this store merely leaves it out.
            if native.store.add(cert.clone()).is_ok() {
                push_pem(&mut native.pem, &cert);
            }
        }
        native
    })
}

/// Appends one certificate in PEM form (base64 in lines of 64, between the two markers).
fn push_pem(pem: &mut Vec<u8>, cert: &CertificateDer<'_>) {
    let text = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.extend_from_slice(line);
        pem.push(b'\n');
    }
    pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
}

/// The system's trusted CAs, parsed. Unreadable or unparsable certificates only shrink the
/// store: a server signed by none of the rest fails its handshake with a message that says so.
pub fn native() -> &'static RootCertStore {
    &loaded().store
}

/// The TLS settings of the AWS SDK's HTTPS client: it trusts exactly the certificates of
/// [`native`], taken from here rather than read from the system a second time.
pub fn sdk_tls_context() -> TlsContext {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(loaded().pem.clone());
    TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context of a trust store alone always builds")
}

/// Starts reading the system's CAs on a background thread. Whoever needs them before the thread
/// is done waits for it rather than reading them twice.
pub fn warm_up() {
    let spawned = std::thread::Builder::new()
        .name("barkcheck-roots".into())
        .spawn(|| {
            loaded();
        });
    // Without the thread, everything still reads the roots when it first needs them.
    drop(spawned);
}

#[cfg(test)]
mod tests {
    use rustls::pki_types::pem::PemObject;

    use super::*;

    #[test]
    fn the_pem_given_to_the_sdk_holds_the_certificates_of_the_parsed_store() {
        let native = loaded();
        let back: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&native.pem)
            .collect::<Result<_, _>>()
            .expect("the PEM we write reads back");
        assert_eq!(back.len(), native.store.len());
        // Each one parses as a trust anchor again, as the SDK requires.
        let mut again = RootCertStore::empty();
        for cert in back {
            again
                .add(cert)
                .expect("a certificate the store took parses again");
        }
        assert_eq!(again.roots, native.store.roots);
    }
}
