//! Team state in S3 (`--state s3://bucket/key`): the state and its history in one object,
//! changed with optimistic concurrency.
//!
//! A change reads the object and its ETag, applies the change, and writes it back only if the
//! object is unchanged (`If-Match: ETAG`, or `If-None-Match: *` for the first write). When
//! another writer got there first, S3 answers 412 and the change is re-read, re-decided and
//! retried, so engineers on laptops and the CI pipeline never overwrite each other. Keeping the
//! history in the same object makes every change one atomic write. Calls GetObject and
//! PutObject (IAM `s3:GetObject`, `s3:PutObject`).

use std::time::Duration;

use anyhow::{Context, bail};
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use super::State;
use super::history::Entry;
use crate::verify::aws::{AwsOptions, load_config};

/// How many times a change is retried against other writers before giving up.
const ATTEMPTS: u32 = 40;

/// The object's content.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub state: State,
    pub history: Vec<Entry>,
}

/// A state object in S3.
#[derive(Debug, Clone)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
    pub aws: AwsOptions,
}

impl S3Location {
    /// Reads `s3://bucket/key`; None when the text is not an S3 URL.
    pub fn parse(text: &str, aws: AwsOptions) -> Option<anyhow::Result<S3Location>> {
        let rest = text.strip_prefix("s3://")?;
        Some(match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(S3Location {
                bucket: bucket.to_string(),
                key: key.to_string(),
                aws,
            }),
            _ => Err(anyhow::anyhow!("--state `{text}` is not s3://BUCKET/KEY")),
        })
    }

    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
        Ok(tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?)
    }

    async fn client(&self) -> anyhow::Result<aws_sdk_s3::Client> {
        let config = load_config(&self.aws)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // A loopback or private endpoint has no per-bucket host names: address by path.
        let s3 = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(
                self.aws.endpoint_url.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some(),
            )
            .build();
        Ok(aws_sdk_s3::Client::from_conf(s3))
    }

    /// The document and its ETag; None when the object does not exist yet.
    pub fn get(&self) -> anyhow::Result<Option<(Document, String)>> {
        Self::runtime()?.block_on(async {
            let client = self.client().await?;
            self.get_with(&client).await
        })
    }

    async fn get_with(
        &self,
        client: &aws_sdk_s3::Client,
    ) -> anyhow::Result<Option<(Document, String)>> {
        let answer = client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await;
        let object = match answer {
            Ok(object) => object,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => {
                let e = crate::verify::FetchError::from_sdk("GetObject", "s3:GetObject", e);
                bail!("cannot read state {}: {e}", self.url());
            }
        };
        let etag = object.e_tag().unwrap_or_default().to_string();
        let bytes = object
            .body
            .collect()
            .await
            .context("reading the state object")?
            .into_bytes();
        let document: Document = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "state {} is not a valid barkcheck state (the object was left untouched)",
                self.url()
            )
        })?;
        Ok(Some((document, etag)))
    }

    /// Applies `change` to the current document and writes it back if nobody else wrote in
    /// between; on a conflict, reads again and re-applies.
    pub fn update<T>(
        &self,
        check: impl Fn(&Document) -> anyhow::Result<()>,
        empty: impl Fn() -> Document,
        mut change: impl FnMut(&mut Document) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        Self::runtime()?.block_on(async {
            let client = self.client().await?;
            // The history entry of the last write S3 refused, and the change's answer. A write
            // whose answer was lost is retried by the SDK and then refused, as the object has
            // changed: by that very write. Its entry in the history tells the two apart.
            let mut refused: Option<(String, T)> = None;
            for attempt in 0..ATTEMPTS {
                let current = self.get_with(&client).await?;
                let (mut document, etag) = match current {
                    Some((document, etag)) => (document, Some(etag)),
                    None => (empty(), None),
                };
                if let Some((digest, answer)) = refused.take()
                    && holds(&document, &digest)
                {
                    return Ok(answer);
                }
                check(&document)?;
                let before = document.history.len();
                let answer = change(&mut document)?;
                let entry = match document.history.get(before..) {
                    Some([.., added]) => Some(added.digest.clone()),
                    _ => None,
                };
                let body =
                    serde_json::to_vec_pretty(&document).context("cannot encode the state")?;
                let mut put = client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .content_type("application/json")
                    .body(ByteStream::from(body));
                put = match &etag {
                    Some(etag) => put.if_match(etag),
                    None => put.if_none_match("*"),
                };
                match put.send().await {
                    Ok(_) => return Ok(answer),
                    Err(e) if conflict(&e) => {
                        refused = entry.map(|digest| (digest, answer));
                        // Someone else wrote first: back off a little, with jitter, and redo.
                        let jitter = u64::from(std::process::id() % 7 + attempt % 5);
                        tokio::time::sleep(Duration::from_millis(20 + 15 * jitter)).await;
                    }
                    Err(e) => {
                        let e = crate::verify::FetchError::from_sdk("PutObject", "s3:PutObject", e);
                        // A write whose every answer was lost may still have landed: only a
                        // fresh read can tell, and saying "not recorded" when it was would have
                        // it recorded twice.
                        let Some(digest) = entry else {
                            bail!("cannot write state {}: {e}", self.url());
                        };
                        match self.get_with(&client).await {
                            Ok(Some((now, _))) if holds(&now, &digest) => return Ok(answer),
                            Ok(_) => bail!(
                                "cannot write state {}: {e}; nothing was recorded",
                                self.url()
                            ),
                            Err(again) => bail!(
                                "cannot write state {}: {e}; whether it was recorded could not be \
                                 read back ({again:#}): check `barkcheck log` before recording it \
                                 again",
                                self.url()
                            ),
                        }
                    }
                }
            }
            bail!(
                "state {} kept changing under {ATTEMPTS} attempts; nothing was recorded",
                self.url()
            )
        })
    }
}

/// Whether the document's history holds the entry with this digest.
fn holds(document: &Document, digest: &str) -> bool {
    document.history.iter().any(|entry| entry.digest == digest)
}

/// Whether a PutObject failed because the object changed since it was read.
fn conflict<R>(
    e: &aws_sdk_s3::error::SdkError<aws_sdk_s3::operation::put_object::PutObjectError, R>,
) -> bool {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    match e {
        aws_sdk_s3::error::SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            matches!(code, "PreconditionFailed" | "ConditionalRequestConflict")
        }
        _ => false,
    }
}
