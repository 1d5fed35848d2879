"""Data directories in object storage: `s3://bucket/prefix` on AWS or on an S3-compatible endpoint.

They are read through pyarrow's S3 filesystem (the AWS SDK for C++), never through DuckDB: its
httpfs extension is not installed and nothing is downloaded at run time. The prefix is listed
once, the tables are laid out as in a local directory (`PREFIX/<table>.parquet`, or
`PREFIX/<table>/` of Parquet files with hive partitions), and each table becomes a pyarrow
dataset that the internal connection building the cache scans (see catalog). The app then runs
on the local cache exactly as for a local directory: the read-only engine is never given the
filesystem or the credentials, so nothing typed in the SQL pane or `query` can reach the bucket.

The cache is keyed on the URL and each object's key, ETag, size and last modification, as the
store reports them (one HEAD request per object). The ETag is the store's checksum of the
object: a plain upload's is its MD5; a multipart upload's (`"…-3"`) is not the MD5 of the
bytes, but it still changes whenever the content does, so a rewritten object rebuilds the cache.

Credentials and the endpoint come from the usual places, read here so that a missing or wrong
one is said in one line: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else the
profile AWS_PROFILE names (or `default`) in ~/.aws/credentials and ~/.aws/config
(AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move them); the region from AWS_REGION,
AWS_DEFAULT_REGION or the profile; the endpoint from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the
profile's `endpoint_url`. Every request has a connect and a read timeout and at most
REQUEST_ATTEMPTS tries, so an unreachable endpoint is an error after seconds, never a hang.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa

from explorer.db import dimensions
from explorer.db.cache import CACHE_FORMAT, KEY_LENGTH
from explorer.db.errors import DataDirectoryError
from explorer.db.schema import TABLES

if TYPE_CHECKING:  # imported when an s3:// directory is opened: pyarrow.dataset alone costs a local start 0.2 s
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

SCHEME = "s3://"
DEFAULT_REGION = "us-east-1"
TIMEOUT_SECONDS = 10.0
"""Connect and read timeout of each request (CONFLICT_EXPLORER_S3_TIMEOUT overrides it)."""
REQUEST_ATTEMPTS = 2
HEAD_THREADS = 8
"""Objects whose ETag is asked for at once."""
MANIFEST_BYTES = 1 << 20
"""The most of `imports.json` that is read."""
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")


def is_remote(data_dir: object) -> bool:
    """Whether a data directory argument names object storage (`s3://…`) rather than a local folder."""
    return isinstance(data_dir, RemoteDirectory) or (isinstance(data_dir, str) and data_dir[:len(SCHEME)].lower() == SCHEME)


@dataclass(frozen=True)
class Location:
    """A bucket and a prefix within it (no slash at either end; empty for the whole bucket)."""

    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}" if self.prefix else f"{SCHEME}{self.bucket}"

    @property
    def path(self) -> str:
        """The prefix as pyarrow's filesystem names it: `bucket/prefix`."""
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket


def parse_url(text: str) -> Location:
    """`s3://bucket/prefix` (any case of the scheme, with or without slashes at the end), or a one-line error."""
    if not is_remote(text):
        raise DataDirectoryError(f"{text}: not an s3:// URL")
    bucket, _, prefix = text[len(SCHEME):].partition("/")
    if not BUCKET_NAME.fullmatch(bucket):
        raise DataDirectoryError(f"{text}: '{bucket}' is not a bucket name (3 to 63 lower-case letters, digits, dots "
                                 "and hyphens); write s3://BUCKET/PREFIX")
    return Location(bucket, prefix.strip("/"))


@dataclass(frozen=True)
class Settings:
    """Where requests go and what signs them, with where the keys came from (for the error messages)."""

    access_key: str
    secret_key: str
    session_token: str | None
    region: str
    endpoint: str | None
    origin: str


def _profile_sections(environ: dict[str, str], profile: str) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """The profile's section in the credentials file and in the config file (`[profile NAME]`, or `[default]`)."""
    home = Path(environ.get("HOME") or Path.home())
    credentials_file = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials").expanduser()
    config_file = Path(environ.get("AWS_CONFIG_FILE") or home / ".aws" / "config").expanduser()
    found: list[dict[str, str] | None] = []
    for path, section in ((credentials_file, profile), (config_file, profile if profile == "default" else f"profile {profile}")):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeError) as error:
            raise DataDirectoryError(f"{path}: cannot be read ({str(error).splitlines()[0]})") from None
        found.append(dict(parser[section]) if parser.has_section(section) else None)
    return found[0], found[1]


def settings(environ: dict[str, str] | None = None) -> Settings:
    """The credentials, region and endpoint, from the environment first and then the profile's files."""
    environ = dict(os.environ if environ is None else environ)
    named = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE")
    profile = named or "default"
    credentials, config = _profile_sections(environ, profile)
    if named and credentials is None and config is None:
        raise DataDirectoryError(f"AWS_PROFILE names the profile '{profile}', which is in neither ~/.aws/credentials "
                                 "nor ~/.aws/config")
    from_profile = {**(config or {}), **(credentials or {})}
    if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
        access_key, secret_key = environ["AWS_ACCESS_KEY_ID"], environ["AWS_SECRET_ACCESS_KEY"]
        token, origin = environ.get("AWS_SESSION_TOKEN") or None, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    elif from_profile.get("aws_access_key_id") and from_profile.get("aws_secret_access_key"):
        access_key, secret_key = from_profile["aws_access_key_id"], from_profile["aws_secret_access_key"]
        token, origin = from_profile.get("aws_session_token") or None, f"the profile '{profile}'"
    else:
        raise DataDirectoryError(
            "no credentials for object storage: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), "
            f"or AWS_PROFILE to a profile in ~/.aws/credentials{f' (the profile {profile!r} has no keys)' if named else ''}")
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or from_profile.get("region") or DEFAULT_REGION
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL") or from_profile.get("endpoint_url") or None
    return Settings(access_key, secret_key, token, region, endpoint, origin)


def _timeout(environ: dict[str, str]) -> float:
    text = environ.get("CONFLICT_EXPLORER_S3_TIMEOUT")
    if not text:
        return TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 3600:
        raise DataDirectoryError(f"CONFLICT_EXPLORER_S3_TIMEOUT={text!r}: give a number of seconds above 0")
    return seconds


def filesystem(found: Settings, timeout: float = TIMEOUT_SECONDS) -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem for these settings: bounded timeouts and tries, and never a bucket created or removed."""
    import pyarrow.fs as pafs

    options: dict = {}
    if found.endpoint:
        parts = urlsplit(found.endpoint if "://" in found.endpoint else f"https://{found.endpoint}")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DataDirectoryError(f"endpoint {found.endpoint!r}: give it as http://HOST:PORT or https://HOST")
        options = {"endpoint_override": parts.netloc + parts.path.rstrip("/"), "scheme": parts.scheme}
    return pafs.S3FileSystem(
        access_key=found.access_key, secret_key=found.secret_key, session_token=found.session_token, region=found.region,
        connect_timeout=timeout, request_timeout=timeout,
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=REQUEST_ATTEMPTS),
        allow_bucket_creation=False, allow_bucket_deletion=False, **options)


def _failure(where: str, error: BaseException, found: Settings) -> DataDirectoryError:
    """One line for what the store (or the way to it) said."""
    text = str(error)
    endpoint = found.endpoint or f"AWS S3 ({found.region})"
    if "NO_SUCH_BUCKET" in text or "NoSuchBucket" in text:
        return DataDirectoryError(f"{where}: no such bucket at {endpoint}")
    if any(word in text for word in ("ACCESS_DENIED", "INVALID_ACCESS_KEY_ID", "SIGNATURE_DOES_NOT_MATCH", "EXPIRED_TOKEN",
                                     "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken")):
        return DataDirectoryError(f"{where}: access denied by {endpoint} (HTTP 403): check the credentials from {found.origin}")
    if "NETWORK_CONNECTION" in text or "curlCode" in text:
        detail = "timed out" if "Timeout" in text or "too slow" in text else "could not connect"
        return DataDirectoryError(f"{where}: cannot reach {endpoint} ({detail}): check AWS_ENDPOINT_URL and the network")
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return DataDirectoryError(f"{where}: cannot be read ({first})")


@dataclass(frozen=True)
class StoredObject:
    """One Parquet object, as the listing and its HEAD request describe it."""

    path: str
    """`bucket/key`, as pyarrow's filesystem names it."""
    size: int
    etag: str
    modified: str


@dataclass(frozen=True)
class RemoteTable:
    """One table's objects and the Arrow dataset over them, which the internal connection scans by `scan_name`."""

    name: str
    objects: tuple[StoredObject, ...]
    hive: bool
    where: str
    """The table's object or folder, as a URL for messages."""
    dataset: ds.Dataset = field(compare=False, repr=False)

    @property
    def scan_name(self) -> str:
        return f"remote_{self.name}"


@dataclass(frozen=True, eq=False)
class RemoteDirectory:
    """An open `s3://` data directory: where it is, its tables' objects, and its `imports.json` if it has one.
    It stands where a local data directory's Path does (`str` is its URL, `resolve` is itself)."""

    location: Location
    tables: dict[str, RemoteTable]
    manifest: str | None
    """The text of `PREFIX/imports.json`, read once at opening (see versions)."""

    def __str__(self) -> str:
        return self.location.url

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteDirectory) and other.location == self.location

    def __hash__(self) -> int:
        return hash(self.location)

    def resolve(self) -> RemoteDirectory:
        return self

    def objects(self) -> list[StoredObject]:
        return [stored for table in self.tables.values() for stored in table.objects]

    def cache_key(self) -> str:
        """What identifies the objects' current contents without reading them: URL, keys, ETags, sizes and times."""
        described = [[stored.path, stored.etag, stored.size, stored.modified] for stored in self.objects()]
        return hashlib.sha256(json.dumps([CACHE_FORMAT, dimensions.fingerprint(), duckdb.__version__, self.location.url,
                                          described]).encode()).hexdigest()[:KEY_LENGTH]

    def checksum(self) -> str:
        """The directory's version when it has no `imports.json`: a SHA-256 of its objects' keys and ETags (the
        store's checksums), so it differs from a local copy's checksum of the same bytes."""
        digest = hashlib.sha256()
        for stored in sorted(self.objects(), key=lambda one: one.path):
            digest.update(f"{stored.path[len(self.location.path):].lstrip('/')}\0{stored.etag}\0".encode())
        return digest.hexdigest()


def _listing(fs: pafs.S3FileSystem, location: Location, found: Settings) -> list[pafs.FileInfo]:
    import pyarrow.fs as pafs

    try:
        return [info for info in fs.get_file_info(pafs.FileSelector(location.path, recursive=True))
                if info.type == pafs.FileType.File]
    except FileNotFoundError:
        return []
    except OSError as error:
        raise _failure(location.url, error, found) from None


def _table_objects(location: Location, listing: list[pafs.FileInfo]) -> dict[str, tuple[list[pafs.FileInfo], bool]]:
    """Each table's Parquet objects and whether they are hive-partitioned, as find_table_files does locally."""
    base = location.path + "/"
    relative = {info.path[len(base):]: info for info in listing if info.path.startswith(base)}
    if not any(key == f"{name}.parquet" or (key.startswith(f"{name}/") and key.endswith(".parquet"))
               for name in TABLES for key in relative):
        deeper = sorted(key[:-len("/events.parquet")] for key in relative if key.endswith("/events.parquet"))
        hint = f"; they may be under {location.url}/{deeper[0]}" if deeper else ""
        raise DataDirectoryError(f"{location.url}: no tables found (expected events, actors, casualties and forces, "
                                 f"each as TABLE.parquet or a folder TABLE/ of Parquet files){hint}")
    tables = {}
    for name in TABLES:
        if f"{name}.parquet" in relative:
            tables[name] = ([relative[f"{name}.parquet"]], False)
            continue
        inside = sorted((key, info) for key, info in relative.items() if key.startswith(f"{name}/") and key.endswith(".parquet"))
        if not inside:
            raise DataDirectoryError(f"{location.url}: table '{name}' is missing (expected {name}.parquet or a folder "
                                     f"{name}/ of Parquet files)")
        hive = any("=" in part for key, _ in inside for part in key.split("/")[1:-1])
        tables[name] = ([info for _, info in inside], hive)
    return tables


def _described(fs: pafs.S3FileSystem, info: pafs.FileInfo, location: Location, found: Settings) -> StoredObject:
    """The object's ETag and modification time, from a HEAD request."""
    try:
        with fs.open_input_file(info.path) as handle:
            metadata = handle.metadata()
    except OSError as error:
        raise _failure(f"{SCHEME}{info.path}", error, found) from None
    etag = metadata.get("ETag", b"").decode("utf-8", "replace")
    modified = metadata.get("Last-Modified", b"").decode("utf-8", "replace")
    return StoredObject(info.path, info.size or 0, etag, modified)


def _dataset(fs: pafs.S3FileSystem, name: str, objects: list[StoredObject], hive: bool, location: Location,
             found: Settings) -> ds.Dataset:
    """The table's objects as one dataset, its schema the union of every object's (as DuckDB's union_by_name)."""
    import pyarrow.dataset as ds

    paths = [stored.path for stored in objects]
    folder = f"{location.path}/{name}"
    partitioning = ds.HivePartitioning.discover() if hive else None
    try:
        first = ds.dataset(paths, filesystem=fs, format="parquet", partitioning=partitioning,
                           partition_base_dir=folder if hive else None)
        schemas = [first.schema]
        for fragment in first.get_fragments():
            try:
                schemas.append(fragment.physical_schema)
            except (pa.ArrowInvalid, OSError) as error:
                raise _unreadable(fragment.path, error, found) from None
        return ds.dataset(paths, schema=pa.unify_schemas(schemas, promote_options="permissive"), filesystem=fs,
                          format="parquet", partitioning=partitioning, partition_base_dir=folder if hive else None)
    except DataDirectoryError:
        raise
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as error:
        bad = next((path for path in paths if path in str(error)), None)
        if bad is not None:
            raise _unreadable(bad, error, found) from None
        raise _failure(f"{location.url} (table '{name}')", error, found) from None


def _where(location: Location, name: str, objects: list[StoredObject]) -> str:
    single = objects[0].path == f"{location.path}/{name}.parquet"
    return f"{location.url}/{name}.parquet" if single else f"{location.url}/{name}/"


def _unreadable(path: str, error: BaseException, found: Settings) -> DataDirectoryError:
    if isinstance(error, pa.ArrowInvalid):
        first = str(error).strip().splitlines()[0]
        return DataDirectoryError(f"{SCHEME}{path}: not a readable Parquet file ({first.rsplit(': ', 1)[-1]})")
    return _failure(f"{SCHEME}{path}", error, found)


def _manifest(fs: pafs.S3FileSystem, location: Location, listing: list[pafs.FileInfo], found: Settings) -> str | None:
    path = f"{location.path}/imports.json"
    if not any(info.path == path for info in listing):
        return None
    try:
        with fs.open_input_stream(path) as handle:
            return handle.read(MANIFEST_BYTES).decode("utf-8", "replace")
    except OSError as error:
        raise _failure(f"{SCHEME}{path}", error, found) from None


def open_directory(url: str, environ: dict[str, str] | None = None) -> RemoteDirectory:
    """List an `s3://` data directory and describe its tables' objects; every failure is one DataDirectoryError line."""
    import pyarrow.fs as pafs

    location = parse_url(url)
    environ = dict(os.environ if environ is None else environ)
    found = settings(environ)
    fs = filesystem(found, _timeout(environ))
    listing = _listing(fs, location, found)
    if not listing:
        try:
            bucket = fs.get_file_info(location.bucket)
        except OSError as error:
            raise _failure(location.url, error, found) from None
        if bucket.type == pafs.FileType.NotFound:
            raise DataDirectoryError(f"{location.url}: no such bucket at {found.endpoint or f'AWS S3 ({found.region})'}")
    laid_out = _table_objects(location, listing)
    with ThreadPoolExecutor(max_workers=HEAD_THREADS) as pool:
        described = {name: list(pool.map(lambda info: _described(fs, info, location, found), infos))
                     for name, (infos, _) in laid_out.items()}
    tables = {name: RemoteTable(name, tuple(described[name]), hive,
                                _where(location, name, described[name]),
                                _dataset(fs, name, described[name], hive, location, found))
              for name, (_, hive) in laid_out.items()}
    return RemoteDirectory(location, tables, _manifest(fs, location, listing, found))


def register(con: duckdb.DuckDBPyConnection, tables: dict[str, RemoteTable]) -> None:
    """Make the tables' datasets scannable on an internal connection (never the read-only engine)."""
    for table in tables.values():
        con.register(table.scan_name, table.dataset)
