"""Where the warehouse lives: a local folder, or object storage (`s3://`, `gs://`, `az://`/`abfss://`).

The one place that knows the difference. Delta tables on object storage are read and written by
delta-rs with credentials from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
`AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_PROFILE`; `GOOGLE_SERVICE_ACCOUNT`,
`GOOGLE_APPLICATION_CREDENTIALS`; `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`, ...): nothing
secret is passed around or stored. The snapshot manifest and the Delta log listing go through a
`pyarrow.fs` file system that reads the same variables; for GCS that is delta-rs's own client
(`deltalake.fs.DeltaStorageHandler`), so one GCS client, one set of settings, serves both.

Concurrent writers on S3: delta-rs 1.x commits with S3's conditional writes (`PutObject` with
`If-None-Match: *`), so of two writers racing for the same commit number exactly one wins and the
other retries on top of it. That is the safe mode and the default; `AWS_S3_ALLOW_UNSAFE_RENAME=true`
(plain overwrite, "last writer wins") is refused here, because a lost commit is lost data. The
DynamoDB locking provider is gone from delta-rs 1.0. An S3-compatible store without conditional
writes therefore cannot hold the warehouse safely.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from adops.errors import ConfigError

REMOTE_SCHEMES = ("s3://", "s3a://", "gs://", "gcs://", "az://", "abfs://", "abfss://")


def is_remote(uri: str) -> bool:
    return uri.startswith(REMOTE_SCHEMES)


def join(uri: str, *names: str) -> str:
    """`uri/name/...`: a path join for a folder, a '/' join for object storage."""
    if not is_remote(uri):
        return str(Path(uri).joinpath(*names))
    return "/".join([uri.rstrip("/"), *names])


def check(uri: str) -> None:
    """Refuse settings that would let concurrent writers lose commits (or write with other credentials)."""
    if uri.startswith("gcs://"):
        _fs(uri)  # a ConfigError naming gs://
    if uri.startswith(("s3://", "s3a://")):
        unsafe = os.environ.get("AWS_S3_ALLOW_UNSAFE_RENAME", "").strip().lower()
        if unsafe in ("1", "true", "yes"):
            raise ConfigError(
                "AWS_S3_ALLOW_UNSAFE_RENAME is set: with it two writers can overwrite each other's Delta "
                "commits; unset it (delta-rs commits with S3's conditional writes)"
            )


@functools.lru_cache(maxsize=16)
def reachable(uri: str) -> None:
    """Check once per process that the bucket (container) of `uri` exists and answers; a ConfigError
    saying what to fix otherwise (delta-rs would raise a raw S3 error much later)."""
    import pyarrow.fs as pafs

    fs, path = _fs(uri)
    bucket = path.split("/", 1)[0]
    where = uri.split("?")[0][:200]
    try:
        if uri.startswith(GCS_SCHEMES):
            return _gcs_reachable(fs, path, uri, where)
        info = fs.get_file_info(bucket)
    except OSError as exc:
        raise ConfigError(
            f"warehouse {where}: the store cannot be reached ({str(exc).splitlines()[0][:200]})"
        ) from None
    if info.type == pafs.FileType.NotFound:
        raise ConfigError(
            f"warehouse {where}: the bucket {bucket!r} does not exist; create it or fix ADOPS_WAREHOUSE_URI"
        )


def _fs(uri: str) -> tuple[Any, str]:
    import pyarrow.fs as pafs

    try:
        if uri.startswith(AZURE_SCHEMES):
            return _azure(uri)
        if uri.startswith(GCS_SCHEMES):
            return _gcs(uri)
        return pafs.FileSystem.from_uri(uri)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"warehouse at {uri.split('?')[0]}: {exc}") from None


GCS_SCHEMES = ("gs://", "gcs://")


def _gcs(uri: str) -> tuple[Any, str]:
    """A `pyarrow.fs` file system over delta-rs's GCS client (the Rust `object_store` crate) rooted at
    the bucket of `gs://bucket/path`, and `path` within it. Same settings as the Delta tables:
    `GOOGLE_SERVICE_ACCOUNT` / `GOOGLE_SERVICE_ACCOUNT_KEY` / `GOOGLE_APPLICATION_CREDENTIALS`, or the
    workload identity; a key file's `gcs_base_url` names another server (an emulator). pyarrow's own
    `GcsFileSystem` speaks GCS's JSON API with other settings, so it is not used."""
    import pyarrow.fs as pafs

    if uri.startswith("gcs://"):  # delta-rs hands gcs:// to another client (OpenDAL) with other settings
        raise ValueError(
            "write the warehouse as gs://<bucket>/<path> (gcs:// is not read with the GOOGLE_* settings)"
        )
    bucket, _, path = uri.split("://", 1)[1].partition("/")
    if not bucket:
        raise ValueError("name the bucket: gs://<bucket>/<path>")
    return pafs.PyFileSystem(_gcs_handler_class()(f"gs://{bucket}")), path.strip("/")


@functools.lru_cache(maxsize=1)
def _gcs_handler_class() -> Any:
    """`deltalake.fs.DeltaStorageHandler` whose output streams take what pyarrow writes (built on first
    use: deltalake is imported late)."""
    from deltalake.fs import DeltaStorageHandler

    class _Writer:
        """delta-rs's output stream takes `bytes`; pyarrow hands a writer its `Buffer`s."""

        def __init__(self, raw: Any) -> None:
            self.raw, self.closed = raw, False

        def write(self, data: Any) -> int:
            self.raw.write(bytes(data))
            return len(data)

        def flush(self) -> None:
            self.raw.flush()

        def close(self) -> None:
            if not self.closed:
                self.closed = True
                self.raw.close()

    class GcsHandler(DeltaStorageHandler):
        def open_output_stream(self, path: str, metadata: dict[str, str] | None = None) -> Any:
            import pyarrow as pa

            return pa.PythonFile(_Writer(self._handler.open_output_stream(path, metadata)), mode="w")

    return GcsHandler


def _gcs_reachable(fs: Any, path: str, uri: str, where: str) -> None:
    """A bucket answers a listing of the warehouse's prefix; a missing one is 404 (NoSuchBucket)."""
    import pyarrow.fs as pafs

    try:
        fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    except OSError as exc:
        text = str(exc)
        if "404" in text or "NoSuchBucket" in text:
            bucket = uri.split("://", 1)[1].split("/", 1)[0][:80]
            raise ConfigError(
                f"warehouse {where}: the bucket {bucket!r} does not exist; create it or fix ADOPS_WAREHOUSE_URI"
            ) from None
        raise


AZURE_SCHEMES = ("az://", "abfs://", "abfss://")
#: Azurite's well-known development account (public, documented by Microsoft; not a secret)
EMULATOR_ACCOUNT = "devstoreaccount1"
EMULATOR_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _azure(uri: str) -> tuple[Any, str]:
    """`pyarrow.fs.AzureFileSystem` for `az://container/path` or `abfs[s]://container@account.dfs.core.windows.net/path`,
    from the variables delta-rs reads: `AZURE_STORAGE_ACCOUNT_NAME` (or the URI's account) with
    `AZURE_STORAGE_ACCOUNT_KEY`, `AZURE_STORAGE_SAS_TOKEN` or `AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`/
    `AZURE_TENANT_ID` (none of them: Azure's default credential); `AZURE_STORAGE_USE_EMULATOR=true`
    for Azurite (its development account unless another is named, at `AZURITE_BLOB_STORAGE_URL`,
    default http://127.0.0.1:10000)."""
    from urllib.parse import urlsplit

    import pyarrow.fs as pafs

    env = os.environ
    head, _, path = uri.split("://", 1)[1].partition("/")
    container, _, host = head.partition("@")
    emulator = env.get("AZURE_STORAGE_USE_EMULATOR", "").strip().lower() in ("1", "true", "yes")
    account = host.split(".")[0] if host else env.get("AZURE_STORAGE_ACCOUNT_NAME", "")
    account = account or (EMULATOR_ACCOUNT if emulator else "")
    if not container or not account:
        raise ValueError(
            "name the container and the storage account: az://<container>/<path> with "
            "AZURE_STORAGE_ACCOUNT_NAME, or abfss://<container>@<account>.dfs.core.windows.net/<path>"
        )
    kwargs: dict[str, Any] = {}
    key = env.get("AZURE_STORAGE_ACCOUNT_KEY") or (
        EMULATOR_KEY if emulator and account == EMULATOR_ACCOUNT else ""
    )
    if key:
        kwargs["account_key"] = key
    elif env.get("AZURE_STORAGE_SAS_TOKEN"):
        kwargs["sas_token"] = env["AZURE_STORAGE_SAS_TOKEN"]
    elif env.get("AZURE_CLIENT_SECRET"):
        kwargs |= {
            "client_id": env.get("AZURE_CLIENT_ID"),
            "client_secret": env["AZURE_CLIENT_SECRET"],
            "tenant_id": env.get("AZURE_TENANT_ID"),
        }
    if emulator:
        where = urlsplit(env.get("AZURITE_BLOB_STORAGE_URL") or "http://127.0.0.1:10000")
        kwargs |= {
            "blob_storage_authority": where.netloc,
            "dfs_storage_authority": where.netloc,
            "blob_storage_scheme": where.scheme or "http",
            "dfs_storage_scheme": where.scheme or "http",
        }
    return pafs.AzureFileSystem(account, **kwargs), "/".join(p for p in (container, path.strip("/")) if p)


def read_text(uri: str) -> str:
    """The text of one object; FileNotFoundError when there is none."""
    fs, path = _fs(uri)
    try:
        with fs.open_input_stream(path) as stream:
            return bytes(stream.read()).decode()
    except FileNotFoundError:
        raise
    except OSError as exc:
        if "not exist" in str(exc).lower() or "not found" in str(exc).lower():
            raise FileNotFoundError(uri) from None
        raise


def write_text(uri: str, text: str) -> None:
    """Replace one object (a single PUT: readers see the old or the new text, never a mix)."""
    fs, path = _fs(uri)
    with fs.open_output_stream(path) as stream:
        stream.write(text.encode())


def names(uri: str) -> list[str]:
    """The names of the objects directly under `uri` (none when it does not exist)."""
    import pyarrow.fs as pafs

    fs, path = _fs(uri)
    infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    return [info.base_name for info in infos]


def write_bytes(uri: str, data: bytes) -> None:
    """Write one file or object (parent folders made as needed)."""
    if not is_remote(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        Path(uri).write_bytes(data)
        return
    fs, path = _fs(uri)
    with fs.open_output_stream(path) as stream:
        stream.write(data)


def read_bytes(uri: str) -> bytes:
    """The bytes of one file or object; FileNotFoundError when there is none."""
    if not is_remote(uri):
        return Path(uri).read_bytes()
    fs, path = _fs(uri)
    with fs.open_input_stream(path) as stream:
        return bytes(stream.read())


def remove_tree(uri: str) -> None:
    """Remove a folder (or every object under a prefix) with all it holds; nothing when there is none."""
    import shutil

    if not is_remote(uri):
        shutil.rmtree(uri, ignore_errors=True)
        return
    import pyarrow.fs as pafs

    fs, path = _fs(uri)
    if fs.get_file_info(path).type != pafs.FileType.NotFound:
        fs.delete_dir(path)
