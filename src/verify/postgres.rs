//! PostgreSQL: the server's TLS, tables, indexes and foreign keys, read from the system catalogs.
//!
//! A check names where the connection string is (`database_url: env:NAME` or `secret:ID`), never
//! the string itself. The run opens one connection per source on first use (tokio-postgres, TLS
//! with rustls) and shares it; every query is a read of `pg_catalog` views (`pg_class`,
//! `pg_index`, `pg_constraint`, `pg_stat_user_tables`, `pg_stat_ssl`) in a read-only session.
//! `secret:ID` calls GetSecretValue (IAM `secretsmanager:GetSecretValue`) with the run's AWS
//! configuration. The password is never shown: messages name the host and port, and any text
//! from the driver is scrubbed of the password and the connection string before it is kept.
//!
//! When TLS is used, the server's certificate and name are always verified, against
//! `sslrootcert` (in the connection string, or `PGSSLROOTCERT`) or the system's CA store: stricter
//! than libpq's `prefer` and `require`, since the connection carries the production password.

use std::collections::HashMap;
use std::io;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value as Json, json};
use tokio::sync::OnceCell;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config};

use super::{FetchError, Inventory, Kind, TargetProblem};
use crate::checklist::expect::FieldType::{
    Bool, Number, Objects, Text, TextList, TextMap, Timestamp,
};
use crate::checklist::expect::{Field, field};

/// How long connecting and each query may take unless `run --database-timeout` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema tables are looked up in unless the target names one.
const DEFAULT_SCHEMA: &str = "public";

pub const SERVER_FIELDS: &[Field] = &[
    field("endpoint", Text, "host:port the connection went to"),
    field(
        "ssl",
        Bool,
        "the server accepts TLS connections (`SHOW ssl`)",
    ),
    field(
        "session_encrypted",
        Bool,
        "barkcheck's own session is encrypted (pg_stat_ssl)",
    ),
    field(
        "tls_version",
        Text,
        "the session's TLS version, like TLSv1.3",
    ),
    field("cipher", Text, "the session's cipher"),
    field("server_version", Text, "like 15.4"),
    field("server_version_num", Number, "like 150004"),
    field("database", Text, "the database connected to"),
    field("user", Text, "the user connected as"),
    field(
        "password_encryption",
        Text,
        "how new passwords are stored: scram-sha-256 or md5",
    ),
    field(
        "rds_force_ssl",
        Text,
        "RDS only: the rds.force_ssl parameter (absent elsewhere)",
    ),
];

pub const SCHEMA_FIELDS: &[Field] = &[
    field("schema", Text, "the schema's name"),
    field("tables", TextList, "its tables, by name"),
    field(
        "indexes",
        TextMap,
        "its valid indexes as `Table(column, column)` (key columns in order) to index names; \
         test one as `indexes.CheckIn(bookingId, checkInDate)`",
    ),
    field(
        "invalid_indexes",
        TextList,
        "indexes queries cannot use (a failed CREATE INDEX CONCURRENTLY)",
    ),
    field(
        "foreign_keys",
        TextList,
        "its foreign keys as `Table.constraint`",
    ),
    field(
        "unvalidated_foreign_keys",
        TextList,
        "foreign keys added NOT VALID and never validated, as `Table.constraint`",
    ),
];

const COLUMN_FIELDS: &[Field] = &[
    field("name", Text, "the column's name"),
    field(
        "type",
        Text,
        "its SQL type, like uuid or timestamp with time zone",
    ),
    field("not_null", Bool, "it is NOT NULL"),
];

pub const TABLE_FIELDS: &[Field] = &[
    field("schema", Text, "the table's schema"),
    field("table", Text, "the table's name"),
    field(
        "exists",
        Bool,
        "the table exists (a table asked for but missing has only schema, table and this)",
    ),
    field("columns", TextList, "column names in table order"),
    field(
        "column_details",
        Objects(COLUMN_FIELDS),
        "name, type, not_null of each column",
    ),
    field("last_analyze", Timestamp, "the last manual ANALYZE"),
    field(
        "last_autoanalyze",
        Timestamp,
        "the last analyze by autovacuum",
    ),
    field("last_analyzed", Timestamp, "the later of the two"),
    field(
        "analyzed",
        Bool,
        "the planner has statistics: ANALYZE or autovacuum ran since the statistics were last reset",
    ),
    field(
        "n_mod_since_analyze",
        Number,
        "rows inserted, updated or deleted since the last analyze",
    ),
    field(
        "analyze_threshold",
        Number,
        "changed rows past which autovacuum would analyze again (threshold + scale factor x rows)",
    ),
    field(
        "statistics_stale",
        Bool,
        "more rows changed since the last analyze than analyze_threshold",
    ),
    field("n_live_tup", Number, "estimated live rows"),
];

pub const INDEX_FIELDS: &[Field] = &[
    field("schema", Text, "the table's schema"),
    field("table", Text, "the indexed table"),
    field("name", Text, "the index's name"),
    field(
        "columns",
        TextList,
        "key columns in index order (an expression is shown as written)",
    ),
    field("included_columns", TextList, "INCLUDE columns"),
    field("unique", Bool, "a unique index"),
    field("primary", Bool, "the primary key's index"),
    field(
        "valid",
        Bool,
        "usable by queries (false after a failed CREATE INDEX CONCURRENTLY)",
    ),
    field("method", Text, "btree, hash, gin, ..."),
    field("partial", Bool, "has a WHERE clause"),
    field("definition", Text, "the CREATE INDEX statement"),
];

pub const FOREIGN_KEY_FIELDS: &[Field] = &[
    field("schema", Text, "the referencing table's schema"),
    field("table", Text, "the referencing table"),
    field("name", Text, "the constraint's name"),
    field("columns", TextList, "referencing columns, in order"),
    field("referenced_table", Text, "the referenced table"),
    field(
        "referenced_columns",
        TextList,
        "referenced columns, in order",
    ),
    field(
        "validated",
        Bool,
        "existing rows were checked (false for a constraint added NOT VALID and never validated)",
    ),
    field(
        "definition",
        Text,
        "the constraint as FOREIGN KEY ... REFERENCES ...",
    ),
];

/// Checks a postgres kind's target: where the connection string is, and what to look at.
pub fn check_target(kind: Kind, target: &Json) -> Result<(), TargetProblem> {
    if matches!(kind, Kind::PostgresServer | Kind::PostgresSchema)
        && let Json::String(source) = target
    {
        return Source::parse(source).map(|_| ());
    }
    let Json::Object(map) = target else {
        return Err(TargetProblem::new(
            "takes a mapping like {database_url: \"${database_url}\", table: PetOwner}",
        ));
    };
    let allowed: &[&str] = match kind {
        Kind::PostgresServer => &["database_url"],
        Kind::PostgresSchema => &["database_url", "schema"],
        Kind::PostgresTable => &["database_url", "schema", "table", "tables"],
        _ => &["database_url", "schema", "table"],
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(TargetProblem::unknown_key(key, allowed));
        }
    }
    match map.get("database_url") {
        Some(Json::String(source)) => Source::parse(source)
            .map(|_| ())
            .map_err(|e| TargetProblem::at("database_url", e.message))?,
        _ => {
            return Err(TargetProblem::new(
                "needs `database_url: env:NAME` or `database_url: secret:ID`",
            ));
        }
    }
    for key in ["schema", "table"] {
        match map.get(key) {
            Some(Json::String(name)) if !name.is_empty() => {}
            None => {}
            Some(_) => return Err(TargetProblem::at(key, format!("`{key}` is a name"))),
        }
    }
    match (kind, map.get("table"), map.get("tables")) {
        (Kind::PostgresTable, Some(_), Some(_)) => Err(TargetProblem::at(
            "tables",
            "give `table` or `tables`, not both",
        )),
        (Kind::PostgresTable, None, Some(Json::Array(names))) => {
            if names.is_empty() {
                return Err(TargetProblem::at(
                    "tables",
                    "`tables` lists at least one table",
                ));
            }
            match names
                .iter()
                .position(|n| n.as_str().is_none_or(str::is_empty))
            {
                Some(i) => Err(TargetProblem {
                    steps: vec!["tables".into(), i.to_string()],
                    ..TargetProblem::new("a table's name")
                }),
                None => Ok(()),
            }
        }
        (Kind::PostgresTable, None, Some(_)) => {
            Err(TargetProblem::at("tables", "`tables` is a list of names"))
        }
        (Kind::PostgresTable | Kind::PostgresIndex, None, None) => {
            Err(TargetProblem::new("needs the `table` to look at"))
        }
        _ => Ok(()),
    }
}

/// Where a connection string comes from.
#[derive(Clone, Debug)]
enum Source {
    /// An environment variable of barkcheck's process.
    Env(String),
    /// A Secrets Manager secret: a connection string, or RDS's JSON secret with the host.
    Secret(String),
}

impl Source {
    /// Reads `env:NAME` or `secret:ID`. The message never repeats the text, which may be a
    /// connection string with its password written where a source was expected.
    fn parse(text: &str) -> Result<Source, TargetProblem> {
        let wrong = || {
            TargetProblem::new(
                "`database_url` says where the connection string is: env:NAME (an environment \
                 variable) or secret:ID (a Secrets Manager secret); the string itself does not \
                 belong in a checklist, since it carries the password",
            )
        };
        if let Some(name) = text.strip_prefix("env:") {
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            return if valid {
                Ok(Source::Env(name.to_string()))
            } else {
                Err(wrong())
            };
        }
        match text.strip_prefix("secret:") {
            Some(id) if !id.trim().is_empty() && !id.contains("://") => {
                Ok(Source::Secret(id.to_string()))
            }
            _ => Err(wrong()),
        }
    }

    fn key(&self) -> String {
        match self {
            Source::Env(name) => format!("env:{name}"),
            Source::Secret(id) => format!("secret:{id}"),
        }
    }
}

/// One open connection, shared by every check that reads the same source.
pub struct Session {
    client: Client,
    /// `host:port`, the only part of the connection string that messages show.
    endpoint: String,
    timeout: Duration,
}

type Opened = Result<Arc<Session>, FetchError>;

/// The run's database connections, one per source, opened on first use.
#[derive(Default)]
pub struct Connections {
    cells: Mutex<HashMap<String, Arc<OnceCell<Opened>>>>,
}

impl Connections {
    async fn session(&self, source: &Source, inventory: &Inventory) -> Opened {
        let cell = {
            let mut cells = self.cells.lock().expect("connections lock poisoned");
            cells.entry(source.key()).or_default().clone()
        };
        cell.get_or_init(|| open(source, inventory)).await.clone()
    }
}

/// Probes a postgres kind's target over the run's shared connection.
pub async fn probe(
    kind: Kind,
    target: &Json,
    inventory: &Inventory,
) -> Result<Vec<Json>, FetchError> {
    let source_text = match target {
        Json::String(text) => text.as_str(),
        other => other["database_url"].as_str().unwrap_or_default(),
    };
    let source = Source::parse(source_text)
        .map_err(|e| FetchError::new("PostgreSQL connection", e.message))?;
    let session = inventory.databases.session(&source, inventory).await?;
    let schema = target
        .get("schema")
        .and_then(Json::as_str)
        .unwrap_or(DEFAULT_SCHEMA);
    let table = target.get("table").and_then(Json::as_str);
    match kind {
        Kind::PostgresServer => server(&session).await,
        Kind::PostgresSchema => schema_summary(&session, schema).await,
        Kind::PostgresTable => {
            let names: Vec<String> = match target.get("tables") {
                Some(Json::Array(names)) => names
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect(),
                _ => table.into_iter().map(str::to_string).collect(),
            };
            tables(&session, schema, &names).await
        }
        Kind::PostgresIndex => indexes(&session, schema, table.unwrap_or_default()).await,
        Kind::PostgresForeignKey => foreign_keys(&session, schema, table).await,
        _ => unreachable!("not a postgres kind"),
    }
}

async fn server(session: &Session) -> Result<Vec<Json>, FetchError> {
    let sql = "SELECT json_build_object(
            'ssl', current_setting('ssl') = 'on',
            'session_encrypted', coalesce(s.ssl, false),
            'tls_version', s.version,
            'cipher', s.cipher,
            'server_version', current_setting('server_version'),
            'server_version_num', current_setting('server_version_num')::int,
            'database', current_database(),
            'user', current_user,
            'password_encryption', current_setting('password_encryption'),
            'rds_force_ssl', current_setting('rds.force_ssl', true)
        )::text
        FROM (SELECT 1) AS one LEFT JOIN pg_stat_ssl s ON s.pid = pg_backend_pid()";
    let mut rows = session.query("the server's TLS settings", sql, &[]).await?;
    for row in &mut rows {
        row["endpoint"] = Json::String(session.endpoint.clone());
    }
    Ok(rows)
}

/// A schema at a glance: tables, indexes by what they index, foreign keys by whether they hold.
async fn schema_summary(session: &Session, schema: &str) -> Result<Vec<Json>, FetchError> {
    let sql = "WITH idx AS (
            SELECT i.relname::text AS name, x.indisvalid AND x.indisready AS valid,
                t.relname || '(' || array_to_string(array(
                    SELECT CASE WHEN k.attnum = 0
                        THEN pg_get_indexdef(x.indexrelid, k.ord::int, true)
                        ELSE a.attname::text END
                    FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                    WHERE k.ord <= x.indnkeyatts ORDER BY k.ord), ', ') || ')' AS signature
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = $1::text
        ), fk AS (
            SELECT t.relname || '.' || c.conname AS name, c.convalidated AS validated
            FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE c.contype = 'f' AND n.nspname = $1::text
        )
        SELECT json_build_object(
            'schema', $1::text,
            'tables', array(SELECT c.relname::text FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1::text AND c.relkind IN ('r', 'p') ORDER BY 1),
            'indexes', (SELECT coalesce(json_object_agg(signature, names), '{}'::json) FROM (
                SELECT signature, string_agg(name, ', ' ORDER BY name) AS names
                FROM idx WHERE valid GROUP BY signature) s),
            'invalid_indexes', array(SELECT name FROM idx WHERE NOT valid ORDER BY 1),
            'foreign_keys', array(SELECT name FROM fk ORDER BY 1),
            'unvalidated_foreign_keys', array(SELECT name FROM fk WHERE NOT validated ORDER BY 1)
        )::text
        FROM pg_namespace WHERE nspname = $1::text";
    session.query("the schema's catalog", sql, &[&schema]).await
}

/// The tables asked for, in that order; one that does not exist is `{schema, table, exists:
/// false}`, so that `match: all` over several tables cannot pass by skipping a missing one.
async fn tables(
    session: &Session,
    schema: &str,
    names: &[String],
) -> Result<Vec<Json>, FetchError> {
    // The analyze threshold is autovacuum's own formula, with the table's storage parameters
    // when it has them: base threshold + scale factor x the row estimate.
    // TODO: where track_commit_timestamp is on, the commit time of an index's pg_class row would
    // date its creation and let `analyzed` be compared with it; not read yet.
    let sql = "SELECT json_build_object(
            'schema', n.nspname,
            'table', c.relname,
            'exists', true,
            'columns', array(SELECT a.attname FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
            'column_details', (SELECT coalesce(json_agg(json_build_object(
                    'name', a.attname,
                    'type', format_type(a.atttypid, a.atttypmod),
                    'not_null', a.attnotnull) ORDER BY a.attnum), '[]'::json)
                FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
            'last_analyze', s.last_analyze,
            'last_autoanalyze', s.last_autoanalyze,
            'last_analyzed', greatest(s.last_analyze, s.last_autoanalyze),
            'analyzed', s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL,
            'n_mod_since_analyze', s.n_mod_since_analyze,
            'analyze_threshold', t.threshold,
            'statistics_stale', s.n_mod_since_analyze > t.threshold,
            'n_live_tup', s.n_live_tup
        )::text
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
        CROSS JOIN LATERAL (SELECT floor(
            coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions)
                      WHERE option_name = 'autovacuum_analyze_threshold'),
                     current_setting('autovacuum_analyze_threshold')::float8)
            + coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions)
                        WHERE option_name = 'autovacuum_analyze_scale_factor'),
                       current_setting('autovacuum_analyze_scale_factor')::float8)
              * greatest(c.reltuples, 0))::bigint AS threshold) t
        WHERE n.nspname = $1::text AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p')";
    let found = session
        .query("the tables' catalog entries", sql, &[&schema, &names])
        .await?;
    Ok(names
        .iter()
        .map(|name| {
            found
                .iter()
                .find(|t| t["table"] == name.as_str())
                .cloned()
                .unwrap_or_else(|| json!({"schema": schema, "table": name, "exists": false}))
        })
        .collect())
}

async fn indexes(session: &Session, schema: &str, table: &str) -> Result<Vec<Json>, FetchError> {
    // indkey holds the key columns, then the INCLUDE ones; 0 stands for an expression.
    let sql = "SELECT json_build_object(
            'schema', n.nspname,
            'table', t.relname,
            'name', i.relname,
            'columns', array(SELECT CASE WHEN k.attnum = 0
                    THEN pg_get_indexdef(x.indexrelid, k.ord::int, true) ELSE a.attname::text END
                FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                WHERE k.ord <= x.indnkeyatts ORDER BY k.ord),
            'included_columns', array(SELECT a.attname::text
                FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                WHERE k.ord > x.indnkeyatts ORDER BY k.ord),
            'unique', x.indisunique,
            'primary', x.indisprimary,
            'valid', x.indisvalid AND x.indisready,
            'method', am.amname,
            'partial', x.indpred IS NOT NULL,
            'definition', pg_get_indexdef(x.indexrelid)
        )::text
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_am am ON am.oid = i.relam
        WHERE n.nspname = $1::text AND t.relname = $2::text
        ORDER BY i.relname";
    session
        .query("the table's indexes", sql, &[&schema, &table])
        .await
}

async fn foreign_keys(
    session: &Session,
    schema: &str,
    table: Option<&str>,
) -> Result<Vec<Json>, FetchError> {
    let sql = "SELECT json_build_object(
            'schema', n.nspname,
            'table', t.relname,
            'name', c.conname,
            'columns', array(SELECT a.attname::text
                FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                ORDER BY k.ord),
            'referenced_table', r.relname,
            'referenced_columns', array(SELECT a.attname::text
                FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
                ORDER BY k.ord),
            'validated', c.convalidated,
            'definition', pg_get_constraintdef(c.oid)
        )::text
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_class r ON r.oid = c.confrelid
        WHERE c.contype = 'f' AND n.nspname = $1::text AND ($2::text IS NULL OR t.relname = $2::text)
        ORDER BY t.relname, c.conname";
    session
        .query("the foreign keys", sql, &[&schema, &table])
        .await
}

impl Session {
    /// Runs a query whose one column is a JSON object per row, within the timeout.
    async fn query(
        &self,
        what: &str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Json>, FetchError> {
        let call = format!("PostgreSQL at {}: reading {what}", self.endpoint);
        let rows = tokio::time::timeout(self.timeout, self.client.query(sql, params))
            .await
            .map_err(|_| {
                FetchError::new(
                    &call,
                    format!("no answer within {} s", self.timeout.as_secs()),
                )
            })?
            .map_err(|e| FetchError::new(&call, query_error(&e)))?;
        rows.iter()
            .map(|row| {
                let text: String = row
                    .try_get(0)
                    .map_err(|e| FetchError::new(&call, e.to_string()))?;
                serde_json::from_str(&text).map_err(|e| FetchError::new(&call, e.to_string()))
            })
            .collect()
    }
}

/// A query's error: the server's message (a catalog query never echoes the connection string).
fn query_error(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => err.to_string(),
    }
}

/// The connection string of a source, from the environment or Secrets Manager.
async fn connection_string(source: &Source, inventory: &Inventory) -> Result<String, FetchError> {
    match source {
        Source::Env(name) => match std::env::var(name) {
            Ok(text) if !text.trim().is_empty() => Ok(text),
            _ => Err(FetchError::new(
                "PostgreSQL connection",
                format!(
                    "{name} is not set: set {name} to the database's connection string \
                     (postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require), or set the \
                     checklist's `database_url` variable to secret:ID"
                ),
            )),
        },
        Source::Secret(id) => {
            let config = inventory.aws().await?;
            let client = aws_sdk_secretsmanager::Client::new(config);
            let answer = client
                .get_secret_value()
                .secret_id(id)
                .send()
                .await
                .map_err(|e| {
                    FetchError::from_sdk("GetSecretValue", "secretsmanager:GetSecretValue", e)
                })?;
            let text = answer.secret_string().unwrap_or_default();
            from_secret(text).map_err(|cause| {
                FetchError::new(format!("the connection string in secret {id}"), cause)
            })
        }
    }
}

/// A secret's connection string: the text itself, or RDS's JSON form (`host`, `port`,
/// `username`, `password`, `dbname`), which the RDS console and `rotate` write.
fn from_secret(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return Ok(trimmed.to_string());
    }
    let fields: serde_json::Map<String, Json> = serde_json::from_str(trimmed).map_err(|_| {
        "the secret is neither a connection string \
            nor a JSON object"
            .to_string()
    })?;
    let text_of = |key: &str| match fields.get(key) {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    // TODO: an RDS-managed master secret has no host; it could take the endpoint from
    // DescribeDBInstances, which would tie this kind to an instance id.
    let host = text_of("host").ok_or(
        "the secret has no `host` (RDS-managed master secrets keep only the user name and \
         password): keep a connection string, or the host too, in the secret",
    )?;
    let quote = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut parts = vec![format!("host={}", quote(&host))];
    for (key, name) in [
        ("port", "port"),
        ("username", "user"),
        ("password", "password"),
        ("dbname", "dbname"),
        ("sslmode", "sslmode"),
    ] {
        if let Some(value) = text_of(key) {
            parts.push(format!("{name}={}", quote(&value)));
        }
    }
    Ok(parts.join(" "))
}

/// Opens the connection of a source: reads the string, connects with a timeout, and prepares a
/// read-only UTC session.
async fn open(source: &Source, inventory: &Inventory) -> Opened {
    let text = connection_string(source, inventory).await?;
    let timeout = inventory
        .settings()
        .database_timeout
        .unwrap_or(DEFAULT_TIMEOUT);
    let (rest, tls) = split_tls_params(&text);
    let mut config = Config::from_str(&rest).map_err(|e| {
        FetchError::new(
            "PostgreSQL connection",
            format!(
                "the connection string is not valid: {}",
                scrub(&e.to_string(), &text, None)
            ),
        )
    })?;
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let endpoint = endpoint(&config);
    let call = format!("PostgreSQL at {endpoint}");
    let mode = match tls.mode.as_deref() {
        None | Some("prefer") | Some("allow") => SslMode::Prefer,
        Some("disable") => SslMode::Disable,
        Some("require") | Some("verify-ca") | Some("verify-full") => SslMode::Require,
        Some(_) => {
            return Err(FetchError::new(
                &call,
                "sslmode is not one of disable, allow, prefer, require, verify-ca, verify-full",
            ));
        }
    };
    config.ssl_mode(mode).connect_timeout(timeout);
    let root = tls.root_cert.or_else(|| {
        std::env::var("PGSSLROOTCERT")
            .ok()
            .filter(|p| !p.is_empty())
    });
    // Reading the trusted CAs (or the root certificate's file) is done off the runtime's
    // threads, which go on serving the other checks meanwhile.
    let connector = tokio::task::spawn_blocking(move || tls_connector(root.as_deref()))
        .await
        .map_err(|e| FetchError::new(&call, e.to_string()))?
        .map_err(|cause| FetchError::new(&call, cause))?;

    let connected = tokio::time::timeout(timeout, config.connect(connector))
        .await
        .map_err(|_| FetchError::new(&call, format!("no answer within {} s", timeout.as_secs())))?;
    let (client, connection) = connected.map_err(|e| {
        FetchError::new(
            &call,
            connect_error(&e, &text, password.as_deref(), timeout),
        )
    })?;
    // The connection's own task; if it ends early, the next query fails and says why.
    tokio::spawn(async move {
        let _ = connection.await;
    });

    // Barkcheck only reads; the session says so, and bounds every statement server-side too.
    let setup = format!(
        "SET default_transaction_read_only = on; SET TimeZone = 'UTC'; \
         SET statement_timeout = {}",
        timeout.as_millis()
    );
    tokio::time::timeout(timeout, client.batch_execute(&setup))
        .await
        .map_err(|_| FetchError::new(&call, "no answer to the session set-up"))?
        .map_err(|e| FetchError::new(&call, scrub(&query_error(&e), &text, password.as_deref())))?;
    Ok(Arc::new(Session {
        client,
        endpoint,
        timeout,
    }))
}

/// `host:port` of the first host, for messages.
fn endpoint(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}")
}

/// Why connecting failed, in words that name no user, password or connection string.
fn connect_error(
    err: &tokio_postgres::Error,
    text: &str,
    password: Option<&str>,
    timeout: Duration,
) -> String {
    if let Some(db) = err.as_db_error() {
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            return format!(
                "the login was refused (SQLSTATE {}): check the user name and password in the \
                 connection string, and that pg_hba.conf admits this client",
                code.code()
            );
        }
        if *code == SqlState::INVALID_CATALOG_NAME {
            return "the database named in the connection string does not exist".into();
        }
        return scrub(
            &format!("{} (SQLSTATE {})", db.message(), code.code()),
            text,
            password,
        );
    }
    // The driver's own text says what failed ("error performing TLS handshake"); its causes say
    // why ("invalid peer certificate: UnknownIssuer").
    let mut chain = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            match io.kind() {
                io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                io::ErrorKind::TimedOut => {
                    return format!("no answer within {} s", timeout.as_secs());
                }
                _ => {}
            }
        }
        let said = cause.to_string();
        if !chain.iter().any(|c| c.contains(&said)) {
            chain.push(said);
        }
        source = cause.source();
    }
    scrub(&chain.join(": "), text, password)
}

/// Removes the connection string and the password (as written and percent-decoded) from a text
/// that came from the driver.
fn scrub(message: &str, connection_string: &str, password: Option<&str>) -> String {
    let mut out = message.replace(connection_string, "[connection string]");
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        out = out.replace(password, "[password]");
        let encoded = percent_encode(password);
        if encoded != password {
            out = out.replace(&encoded, "[password]");
        }
    }
    out
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = || std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok();
        match (bytes[i], hex().and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The libpq TLS parameters tokio-postgres does not read, taken out of a connection string.
#[derive(Debug, Default, PartialEq)]
struct TlsParams {
    mode: Option<String>,
    root_cert: Option<String>,
}

/// Takes `sslmode` and `sslrootcert` out of a connection string (URL or `key=value` form), so
/// that libpq's `verify-full` and a CA file work as they do with psql.
fn split_tls_params(text: &str) -> (String, TlsParams) {
    let mut tls = TlsParams::default();
    let is_url = text.starts_with("postgres://") || text.starts_with("postgresql://");
    if is_url {
        let Some((base, query)) = text.split_once('?') else {
            return (text.to_string(), tls);
        };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match percent_decode(key).as_str() {
                "sslmode" => tls.mode = Some(percent_decode(value)),
                "sslrootcert" => tls.root_cert = Some(percent_decode(value)),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (rest, tls);
    }
    let mut kept = Vec::new();
    let mut changed = false;
    for token in text.split_whitespace() {
        if let Some(value) = token.strip_prefix("sslmode=") {
            tls.mode = Some(value.trim_matches('\'').to_string());
            changed = true;
        } else if let Some(value) = token.strip_prefix("sslrootcert=") {
            tls.root_cert = Some(value.trim_matches('\'').to_string());
            changed = true;
        } else {
            kept.push(token);
        }
    }
    // Rejoining could change a quoted value with runs of spaces: only when something was taken.
    let rest = if changed {
        kept.join(" ")
    } else {
        text.to_string()
    };
    (rest, tls)
}

/// A rustls connector that verifies the server's chain and name against `root` (a PEM file) or
/// the system's CA store.
fn tls_connector(root: Option<&str>) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let roots = match root {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("cannot read sslrootcert {path}: {e}"))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("cannot read sslrootcert {path}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {path} holds a bad certificate: {e}"))?;
            }
            if roots.is_empty() {
                return Err(format!("sslrootcert {path} holds no certificate"));
            }
            roots
        }
        // Unreadable system certificates only narrow the store; a server signed by none of
        // them fails its handshake with a message that says so.
        None => super::roots::native().clone(),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_urls_and_keyword_strings() {
        let (rest, tls) = split_tls_params(
            "postgresql://u:p%40ss@db:5432/app?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x",
        );
        assert_eq!(rest, "postgresql://u:p%40ss@db:5432/app?application_name=x");
        assert_eq!(tls.mode.as_deref(), Some("verify-full"));
        assert_eq!(tls.root_cert.as_deref(), Some("/tmp/ca.pem"));

        let (rest, tls) = split_tls_params("host=db user=u sslmode=require");
        assert_eq!(rest, "host=db user=u");
        assert_eq!(tls.mode.as_deref(), Some("require"));

        let untouched = "host=db password='a  b'";
        assert_eq!(split_tls_params(untouched).0, untouched);
    }

    #[test]
    fn scrubbing_removes_the_password_as_written_and_encoded() {
        let url = "postgresql://u:s3cr%2Ft@db/app";
        let message = format!("bad thing near {url} and s3cr/t and s3cr%2Ft");
        let clean = scrub(&message, url, Some("s3cr/t"));
        assert!(!clean.contains("s3cr"), "{clean}");
    }

    #[test]
    fn sources_are_env_or_secret_and_never_a_connection_string() {
        assert!(matches!(
            Source::parse("env:BARKCHECK_DATABASE_URL"),
            Ok(Source::Env(_))
        ));
        assert!(matches!(
            Source::parse("secret:barkbase/prod/db"),
            Ok(Source::Secret(_))
        ));
        let wrong = Source::parse("postgresql://u:hunter2@db/app").unwrap_err();
        assert!(!wrong.message.contains("hunter2"));
        assert!(Source::parse("env:1BAD").is_err());
    }

    #[test]
    fn rds_json_secrets_become_keyword_strings() {
        let text = r#"{"host":"db.example.com","port":5432,"username":"app","password":"it's","dbname":"barkbase_prod"}"#;
        let config = from_secret(text).unwrap();
        assert_eq!(
            config,
            r"host='db.example.com' port='5432' user='app' password='it\'s' dbname='barkbase_prod'"
        );
        assert!(Config::from_str(&config).is_ok());
        assert!(from_secret(r#"{"username":"a","password":"b"}"#).is_err());
    }
}
