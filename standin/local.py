#!/usr/bin/env python3
"""The local half of the stand-in: what barkcheck checks outside AWS, set up on this machine.

- A real PostgreSQL server (Debian's postgresql package): initdb into a temporary folder,
  listening on 127.0.0.1 on a free port, with a CA and a server certificate made here by
  openssl, password (SCRAM) logins for the user `barkcheck`, no autovacuum (so statistics change
  only when the seed says), seeded with a BarkBase schema in the `compliant` or `gaps` profile
  (postgres/*.sql).
- With --checkout, a BarkBase checkout as a git repository: aws/cdk/.env with JWT_SECRET and
  JWT_SECRET_OLD, frontend/, and bin/npm, a stand-in for `npm audit --json`.

It prints one line, `READY {json}`, with what barkcheck needs: `url` (the connection string,
with the test password and `sslrootcert`), `port`, `ca_file`, `vars` (checklist variables) and
`env` (environment variables), then runs until SIGTERM, SIGINT or, with --exit-on-stdin-eof,
the end of its input; it then stops the server and removes the folder. Logs go to stderr.
Nothing here listens anywhere but 127.0.0.1 (and a Unix socket in the temporary folder).

Run as root, the server runs as the `postgres` user (initdb refuses root). The password comes
from BARKCHECK_PG_PASSWORD, else a random one; it is never put on a command line.
"""

import argparse
import base64
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADMIN = "barkbase_admin"
USER = "barkcheck"
DATABASE = "barkbase_prod"

# What each profile gets wrong; the tests and the README name them.
GAPS = {
    "pg-ssl-off": "the server has ssl = off; barkcheck's session is not encrypted",
    "pg-checkout-tenant": "CheckOut has no tenantId column",
    "pg-checkin-index-order": "the CheckIn index is on (checkInDate, bookingId)",
    "pg-petowner-index": "PetOwner has no (petId, ownerId) index",
    "pg-fk-not-valid": "CheckOut_bookingId_fkey was added NOT VALID and never validated",
    "pg-never-analyzed": "no table was ever analyzed",
    "jwt-secret-short": "JWT_SECRET is 32 characters, not base64, and equals JWT_SECRET_OLD",
    "env-file-committed": "aws/cdk/.env is committed and tracked",
    "npm-audit-no-lockfile": "npm audit fails with ENOLOCK: the dependencies were never scanned",
}


def log(message):
    print(f"local.py: {message}", file=sys.stderr, flush=True)


def postgres_bin():
    """The folder of initdb, pg_ctl and postgres: $BARKCHECK_PG_BIN, Debian's newest, or PATH."""
    given = os.environ.get("BARKCHECK_PG_BIN")
    if given:
        return Path(given)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    sys.exit("local.py: PostgreSQL is not installed (no initdb); scripts/local-prerequisites installs it")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, **kw):
    kw.setdefault("check", True)
    kw.setdefault("stdout", subprocess.DEVNULL)
    kw.setdefault("stderr", subprocess.PIPE)
    try:
        return subprocess.run(args, **kw)
    except subprocess.CalledProcessError as e:
        err = (e.stderr or b"").decode(errors="replace").strip()
        sys.exit(f"local.py: {Path(args[0]).name} failed: {err}")


def certificates(folder):
    """A CA and a server certificate for 127.0.0.1 signed by it (rustls refuses a self-signed
    certificate that is its own CA as a server certificate)."""
    ca_key, ca_crt = folder / "ca.key", folder / "ca.crt"
    key, csr, crt = folder / "server.key", folder / "server.csr", folder / "server.crt"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_crt, "-days", "2",
         "-subj", "/CN=barkcheck test CA"])
    run(["openssl", "req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"])
    ext = folder / "server.ext"
    ext.write_text("basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
                   "extendedKeyUsage=serverAuth\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
         "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext])
    os.chmod(key, 0o600)
    return ca_crt, crt, key


class Server:
    def __init__(self, profile, password):
        self.profile = profile
        self.password = password
        self.bin = postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="barkcheck-local-"))
        self.port = free_port()
        self.process = None
        self.owner = None
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                self.owner = pwd.getpwnam("nobody")

    def as_owner(self):
        if self.owner is None:
            return {}
        return {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}

    def start(self):
        data = self.folder / "data"
        ca, crt, key = certificates(self.folder)
        self.ca = ca
        if self.owner is not None:
            for path in [self.folder, *self.folder.iterdir()]:
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        pwfile = self.folder / "admin-password"
        pwfile.write_text(secrets.token_hex(16) + "\n")
        if self.owner is not None:
            os.chown(pwfile, self.owner.pw_uid, self.owner.pw_gid)
        run([self.bin / "initdb", "-D", data, "-U", ADMIN, "--pwfile", pwfile, "-E", "UTF8",
             "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256"],
            cwd=self.folder, **self.as_owner())
        # Only TLS sessions may log in over TCP in the compliant profile.
        tcp = ("hostssl all all 127.0.0.1/32 scram-sha-256\n"
               "hostnossl all all 127.0.0.1/32 reject\n"
               if self.profile != "gaps" else "host all all 127.0.0.1/32 scram-sha-256\n")
        (data / "pg_hba.conf").write_text("local all all trust\n" + tcp)
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.folder),
            "ssl": "off" if self.profile == "gaps" else "on",
            "ssl_cert_file": str(crt),
            "ssl_key_file": str(key),
            "autovacuum": "off",
            "fsync": "off",
            "full_page_writes": "off",
            "shared_buffers": "16MB",
            "log_connections": "on",
            "max_connections": "20",
        }
        args = [self.bin / "postgres", "-D", data]
        for name, value in settings.items():
            args += ["-c", f"{name}={value}"]
        self.log = open(self.folder / "server.log", "wb")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=self.log,
                                        stdin=subprocess.DEVNULL, cwd=self.folder,
                                        **self.as_owner())
        deadline = time.monotonic() + 30
        while True:
            ready = subprocess.run([self.bin / "pg_isready", "-q", "-h", self.folder,
                                    "-p", str(self.port)])
            if ready.returncode == 0:
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                log((self.folder / "server.log").read_text(errors="replace"))
                sys.exit("local.py: the PostgreSQL server did not start")
            time.sleep(0.1)
        self.seed()

    def psql(self, database, sql):
        return run([self.bin / "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", self.folder,
                    "-p", str(self.port), "-U", ADMIN, "-d", database],
                   input=sql.encode(), stdout=subprocess.PIPE)

    def seed(self):
        literal = "'" + self.password.replace("'", "''") + "'"
        self.psql("postgres", f"CREATE ROLE {USER} LOGIN PASSWORD {literal};\n"
                              f"CREATE DATABASE {DATABASE};\n")
        schema = (HERE / "postgres" / "schema.sql").read_text()
        profile = (HERE / "postgres" / f"{self.profile}.sql").read_text()
        self.psql(DATABASE, schema + profile)
        if self.profile == "compliant":
            # The seeding session's row counts reach the statistics when it ends; ANALYZE
            # only after they have, so that they do not count as changes since it.
            deadline = time.monotonic() + 10
            query = "SELECT count(*) FROM pg_stat_user_tables WHERE n_tup_ins > 0"
            while self.psql(DATABASE, query + ";").stdout.split()[-1:] != [b"7"]:
                if time.monotonic() > deadline:
                    sys.exit("local.py: the seed's statistics never arrived")
                time.sleep(0.1)
            self.psql(DATABASE, "ANALYZE;")

    def url(self):
        mode = "prefer" if self.profile == "gaps" else "verify-full"
        return (f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"
                f"?sslmode={mode}&sslrootcert={self.ca}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def checkout(folder, profile):
    """A BarkBase checkout: git repository, aws/cdk/.env, frontend/, bin/npm."""
    repo = folder / "barkbase"
    (repo / "aws" / "cdk").mkdir(parents=True)
    (repo / "frontend").mkdir()
    (repo / "frontend" / "package.json").write_text('{"name": "barkbase-frontend"}\n')
    git = ["git", "-C", repo, "-c", "user.name=BarkBase", "-c", "user.email=dev@example.com"]
    run(["git", "init", "-q", repo])
    if profile == "gaps":
        secret = old = "changeme-changeme-changeme-12345"
    else:
        secret = base64.b64encode(secrets.token_bytes(64)).decode()
        old = base64.b64encode(secrets.token_bytes(64)).decode()
    (repo / "aws" / "cdk" / ".env").write_text(
        f"STAGE=prod\nJWT_SECRET={secret}\nJWT_SECRET_OLD={old}\nDB_NAME={DATABASE}\n")
    (repo / ".gitignore").write_text(".env\nnode_modules/\n")
    run([*git, "add", ".gitignore", "frontend/package.json"])
    if profile == "gaps":
        run([*git, "add", "-f", "aws/cdk/.env"])
    run([*git, "commit", "-q", "-m", "BarkBase"])

    # npm audit's JSON (npm 7 and later): a report, or the error it prints without a lockfile.
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    if profile == "gaps":
        report = {"error": {"code": "ENOLOCK", "summary": "This command requires an existing "
                            "lockfile.", "detail": "Try creating one first with: npm i "
                            "--package-lock-only"}}
        code = 1
    else:
        counts = {"info": 0, "low": 1, "moderate": 0, "high": 0, "critical": 0, "total": 1}
        report = {"auditReportVersion": 2, "vulnerabilities": {},
                  "metadata": {"vulnerabilities": counts, "dependencies": {"total": 412}}}
        code = 1 if counts["total"] else 0
    npm = bin_dir / "npm"
    npm.write_text("#!/bin/sh\n# A stand-in for `npm audit --json`.\n"
                   f"cat <<'JSON'\n{json.dumps(report, indent=2)}\nJSON\nexit {code}\n")
    npm.chmod(0o755)
    return {"app_repo": str(repo), "npm": str(npm)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=["compliant", "gaps"], default="compliant")
    parser.add_argument("--checkout", action="store_true",
                        help="also make a BarkBase checkout (git, aws/cdk/.env, a stand-in npm)")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args()

    password = os.environ.get("BARKCHECK_PG_PASSWORD") or secrets.token_urlsafe(18)
    server = Server(args.profile, password)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    try:
        server.start()
        variables = checkout(server.folder, args.profile) if args.checkout else {}
        ready = {
            "url": server.url(),
            "port": server.port,
            "ca_file": str(server.ca),
            "vars": variables,
            "env": {"BARKCHECK_DATABASE_URL": server.url()},
            "gaps": sorted(GAPS) if args.profile == "gaps" else [],
        }
        print("READY " + json.dumps(ready), flush=True)
        if args.exit_on_stdin_eof:
            threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
        done.wait()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
