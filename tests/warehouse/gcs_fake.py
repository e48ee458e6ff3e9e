"""A local Google Cloud Storage fake speaking the XML API calls that delta-rs (the Rust `object_store`
crate's GCS client) makes, written from Google's XML API reference
(https://cloud.google.com/storage/docs/xml-api/): List objects (`GET /<bucket>?list-type=2` with
prefix, delimiter, continuation-token, start-after, max-keys: a ListBucketResult), object PUT, GET
(with Range), HEAD and DELETE, preconditions (`x-goog-if-generation-match`, `If-Match`,
`If-None-Match`), copy (`x-goog-copy-source`), and XML multipart uploads (`?uploads`, `?partNumber=&uploadId=`,
`?uploadId=`). It refuses what GCS refuses, with GCS's XML error body: a missing bucket or object
404 (NoSuchBucket / NoSuchKey), a failed precondition 412 (PreconditionFailed: what makes concurrent
Delta commits safe), an unsatisfiable range 416 (InvalidRange), a bad max-keys 400 (InvalidArgument),
an unknown upload 404 (NoSuchUpload), an oversized body 413 (EntityTooLarge).

Why not an emulator: `gcp-storage-emulator` answers 501 to ListObjectsV2 and fake-gcs-server 404s it.
Standard library only; threaded, state in memory behind one lock."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

#: the largest body the fake accepts (GCS allows 5 TiB; a test never needs more than this)
MAX_BODY = 64 * 1024 * 1024
#: GCS's largest page of a listing
MAX_KEYS = 1000
#: the fake's own read-out of what it refused (status: count), for tests in another process
STATS_PATH = "/_fake/stats"
XMLNS = "http://doc.s3.amazonaws.com/2006-03-01"


@dataclass
class Blob:
    data: bytes
    generation: int
    updated: datetime
    content_type: str = "application/octet-stream"

    @property
    def etag(self) -> str:
        return '"' + hashlib.md5(self.data, usedforsecurity=False).hexdigest() + '"'


@dataclass
class Upload:
    bucket: str
    key: str
    parts: dict[int, bytes] = field(default_factory=dict)


class GcsState:
    """Buckets of blobs, uploads in progress, and every request seen (method, path with query)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, dict[str, Blob]] = {}
        self.uploads: dict[str, Upload] = {}
        self.requests: list[tuple[str, str]] = []
        self.refusals: dict[int, int] = {}
        self.completed_uploads = 0
        self._generations = itertools.count(1_700_000_000_000_001)
        self._uploads = itertools.count(1)

    def create_bucket(self, name: str) -> None:
        with self.lock:
            self.buckets.setdefault(name, {})

    def generation(self) -> int:
        return next(self._generations)

    def upload_id(self) -> str:
        return f"upload-{next(self._uploads)}"


def _error(code: str, message: str, details: str = "") -> bytes:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{escape(message)}</Message>"
    if details:
        body += f"<Details>{escape(details)}</Details>"
    return (body + "</Error>").encode()


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status, self.body = status, _error(code, message, details)


def _no_bucket(bucket: str) -> _Refused:
    return _Refused(404, "NoSuchBucket", "The specified bucket does not exist.", bucket)


def _no_key(bucket: str, key: str) -> _Refused:
    return _Refused(404, "NoSuchKey", "The specified key does not exist.", f"No such object: {bucket}/{key}")


def _failed_precondition() -> _Refused:
    return _Refused(
        412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold."
    )


class _Handler(BaseHTTPRequestHandler):
    server_version = "UploadServer"  # what GCS names itself in the Server header
    protocol_version = "HTTP/1.1"
    state: GcsState

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    # -- plumbing --------------------------------------------------------------------------
    def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        head = {"Content-Type": "application/xml; charset=UTF-8", "Content-Length": str(len(body))}
        head |= headers or {}
        for name, value in head.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                total += size
                if total > MAX_BODY:
                    raise _Refused(
                        413, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size."
                    )
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        if length is None:
            return b""
        if not length.isdigit():
            raise _Refused(400, "InvalidArgument", "Invalid Content-Length.")
        if int(length) > MAX_BODY:
            self.close_connection = True
            raise _Refused(
                413, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size."
            )
        return self.rfile.read(int(length))

    def _route(self) -> tuple[str, str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        bucket, _, key = parts.path.lstrip("/").partition("/")
        return unquote(bucket), unquote(key), parse_qs(parts.query, keep_blank_values=True)

    def _dispatch(self) -> None:
        bucket, key, query = self._route()
        if self.path == STATS_PATH:  # not a GCS call: a bucket name cannot start with "_"
            with self.state.lock:
                stats = {
                    "refusals": {str(k): v for k, v in self.state.refusals.items()},
                    "completed_uploads": self.state.completed_uploads,
                }
            self._answer(200, json.dumps(stats).encode(), {"Content-Type": "application/json"})
            return
        with self.state.lock:
            self.state.requests.append((self.command, self.path))
        try:
            body = self._body() if self.command in ("PUT", "POST") else b""
            if not bucket:
                raise _Refused(400, "InvalidArgument", "A bucket name is required.")
            with self.state.lock:
                status, out, headers = self._handle(bucket, key, query, body)
        except _Refused as refused:
            with self.state.lock:
                self.state.refusals[refused.status] = self.state.refusals.get(refused.status, 0) + 1
            self._answer(refused.status, refused.body)
            return
        self._answer(status, out, headers)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _dispatch

    # -- the calls --------------------------------------------------------------------------
    def _handle(
        self, bucket: str, key: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        blobs = self.state.buckets.get(bucket)
        if not key:
            if self.command == "PUT":  # create a bucket
                if blobs is not None:
                    raise _Refused(
                        409,
                        "BucketAlreadyOwnedByYou",
                        "Your previous request to create the named bucket succeeded and you already own it.",
                    )
                self.state.buckets[bucket] = {}
                return 200, b"", {}
            if blobs is None:
                raise _no_bucket(bucket)
            if self.command == "GET":
                return 200, self._list(bucket, blobs, query), {}
            raise _Refused(
                405, "MethodNotAllowed", "The specified method is not allowed against this resource."
            )
        if blobs is None:
            raise _no_bucket(bucket)
        if "uploads" in query and self.command == "POST":
            upload = self.state.upload_id()
            self.state.uploads[upload] = Upload(bucket, key)
            xml = (
                f"<?xml version='1.0' encoding='UTF-8'?><InitiateMultipartUploadResult xmlns='{XMLNS}'>"
                f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key><UploadId>{upload}</UploadId>"
                "</InitiateMultipartUploadResult>"
            )
            return 200, xml.encode(), {}
        if "uploadId" in query:
            return self._multipart(bucket, key, query, body)
        if self.command in ("GET", "HEAD"):
            return self._get(bucket, key, blobs)
        if self.command == "PUT":
            return self._put(bucket, key, blobs, body)
        if self.command == "DELETE":
            if key not in blobs:
                raise _no_key(bucket, key)
            self._check_generation(blobs.get(key))
            del blobs[key]
            return 204, b"", {}
        raise _Refused(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    def _list(self, bucket: str, blobs: dict[str, Blob], query: dict[str, list[str]]) -> bytes:
        def one(name: str) -> str:
            return query.get(name, [""])[0]

        v2 = one("list-type") == "2"
        raw_max = one("max-keys") or str(MAX_KEYS)
        if not raw_max.isdigit():
            raise _Refused(400, "InvalidArgument", f"Invalid argument: max-keys={raw_max[:40]}")
        max_keys = min(int(raw_max), MAX_KEYS)
        prefix, delimiter = one("prefix"), one("delimiter")
        after = one("start-after") if v2 else one("marker")
        token = one("continuation-token")
        if v2 and token:
            try:
                after = max(after, base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode())
            except (ValueError, UnicodeDecodeError):
                raise _Refused(400, "InvalidArgument", "Invalid argument: continuation-token") from None
        contents: list[str] = []
        prefixes: list[str] = []
        truncated, last = False, ""
        for name in sorted(blobs):
            if not name.startswith(prefix) or name <= after:
                continue
            if delimiter:
                cut = name.find(delimiter, len(prefix))
                if cut >= 0:
                    common = name[: cut + len(delimiter)]
                    if common <= after or (prefixes and prefixes[-1] == common):
                        continue
                    if len(contents) + len(prefixes) == max_keys:
                        truncated = True
                        break
                    prefixes.append(common)
                    last = common
                    continue
            if len(contents) + len(prefixes) == max_keys:
                truncated = True
                break
            contents.append(name)
            last = name
        out = [f"<?xml version='1.0' encoding='UTF-8'?><ListBucketResult xmlns='{XMLNS}'>"]
        out.append(f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>")
        if v2:
            out.append(f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount>")
            if one("start-after"):
                out.append(f"<StartAfter>{escape(one('start-after'))}</StartAfter>")
            if token:
                out.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
        else:
            out.append(f"<Marker>{escape(one('marker'))}</Marker>")
        if delimiter:
            out.append(f"<Delimiter>{escape(delimiter)}</Delimiter>")
        out.append(f"<MaxKeys>{max_keys}</MaxKeys><IsTruncated>{str(truncated).lower()}</IsTruncated>")
        if truncated:
            if v2:
                out.append(
                    f"<NextContinuationToken>{base64.urlsafe_b64encode(last.encode()).decode()}</NextContinuationToken>"
                )
            else:
                out.append(f"<NextMarker>{escape(last)}</NextMarker>")
        for name in contents:
            blob = blobs[name]
            out.append(
                f"<Contents><Key>{escape(name)}</Key><Generation>{blob.generation}</Generation>"
                f"<MetaGeneration>1</MetaGeneration><LastModified>{_iso(blob.updated)}</LastModified>"
                f"<ETag>{escape(blob.etag)}</ETag><Size>{len(blob.data)}</Size></Contents>"
            )
        for common in prefixes:
            out.append(f"<CommonPrefixes><Prefix>{escape(common)}</Prefix></CommonPrefixes>")
        out.append("</ListBucketResult>")
        return "".join(out).encode()

    def _check_generation(self, blob: Blob | None) -> None:
        """`x-goog-if-generation-match` (0: the object must not exist), `If-Match`, `If-None-Match`."""
        wanted = self.headers.get("x-goog-if-generation-match")
        if wanted is not None:
            if not wanted.strip().isdigit():
                raise _Refused(400, "InvalidArgument", "Invalid argument: x-goog-if-generation-match")
            current = blob.generation if blob is not None else 0
            if int(wanted) != current:
                raise _failed_precondition()
        match = self.headers.get("If-Match")
        if match is not None and (blob is None or match.strip() not in (blob.etag, "*")):
            raise _failed_precondition()

    def _headers(self, blob: Blob) -> dict[str, str]:
        md5 = base64.b64encode(hashlib.md5(blob.data, usedforsecurity=False).digest()).decode()
        return {
            "ETag": blob.etag,
            "Last-Modified": format_datetime(blob.updated, usegmt=True),
            "x-goog-generation": str(blob.generation),
            "x-goog-metageneration": "1",
            "x-goog-stored-content-length": str(len(blob.data)),
            "x-goog-hash": f"md5={md5}",
            "Content-Type": blob.content_type,
            "Accept-Ranges": "bytes",
        }

    def _get(self, bucket: str, key: str, blobs: dict[str, Blob]) -> tuple[int, bytes, dict[str, str]]:
        blob = blobs.get(key)
        if blob is None:
            raise _no_key(bucket, key)
        self._check_generation(blob)
        none_match = self.headers.get("If-None-Match")
        if none_match is not None and none_match.strip() in (blob.etag, "*"):
            return 304, b"", {"ETag": blob.etag}
        headers = self._headers(blob)
        wanted = self.headers.get("Range")
        span = _range(wanted, len(blob.data)) if wanted else None
        if span is None:
            return 200, blob.data, headers
        start, end = span
        headers["Content-Range"] = f"bytes {start}-{end}/{len(blob.data)}"
        return 206, blob.data[start : end + 1], headers

    def _put(
        self, bucket: str, key: str, blobs: dict[str, Blob], body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        source = self.headers.get("x-goog-copy-source")
        if source is not None:
            from_bucket, _, from_key = unquote(source).lstrip("/").partition("/")
            origin = self.state.buckets.get(from_bucket)
            if origin is None:
                raise _no_bucket(from_bucket)
            if from_key not in origin:
                raise _no_key(from_bucket, from_key)
            body = origin[from_key].data
        self._check_generation(blobs.get(key))
        blob = Blob(
            body,
            self.state.generation(),
            datetime.now(UTC),
            self.headers.get("Content-Type") or "application/octet-stream",
        )
        blobs[key] = blob
        if source is not None:
            xml = (
                f"<?xml version='1.0' encoding='UTF-8'?><CopyObjectResult><LastModified>{_iso(blob.updated)}"
                f"</LastModified><ETag>{escape(blob.etag)}</ETag></CopyObjectResult>"
            )
            return 200, xml.encode(), {"x-goog-generation": str(blob.generation), "ETag": blob.etag}
        return (
            200,
            b"",
            {"ETag": blob.etag, "x-goog-generation": str(blob.generation), "x-goog-metageneration": "1"},
        )

    def _multipart(
        self, bucket: str, key: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        upload_id = query["uploadId"][0]
        upload = self.state.uploads.get(upload_id)
        if upload is None or (upload.bucket, upload.key) != (bucket, key):
            raise _Refused(404, "NoSuchUpload", "The requested upload was not found.")
        if self.command == "PUT":
            number = query.get("partNumber", [""])[0]
            if not number.isdigit() or not 1 <= int(number) <= 10000:
                raise _Refused(
                    400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive."
                )
            upload.parts[int(number)] = body
            return 200, b"", {"ETag": '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'}
        if self.command == "DELETE":
            del self.state.uploads[upload_id]
            return 204, b"", {}
        if self.command != "POST":
            raise _Refused(
                405, "MethodNotAllowed", "The specified method is not allowed against this resource."
            )
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise _Refused(400, "MalformedXML", "The XML you provided was not well-formed.") from None
        chosen: list[int] = []
        for part in root.iter():
            if part.tag.rsplit("}", 1)[-1] == "PartNumber" and (part.text or "").isdigit():
                chosen.append(int(part.text or "0"))
        if not chosen or chosen != sorted(chosen) or any(n not in upload.parts for n in chosen):
            raise _Refused(400, "InvalidPart", "One or more of the specified parts could not be found.")
        blobs = self.state.buckets[bucket]
        self._check_generation(blobs.get(key))
        blob = Blob(b"".join(upload.parts[n] for n in chosen), self.state.generation(), datetime.now(UTC))
        blobs[key] = blob
        del self.state.uploads[upload_id]
        self.state.completed_uploads += 1
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?><CompleteMultipartUploadResult xmlns='{XMLNS}'>"
            f"<Location>http://{self.headers.get('Host', '')}/{quote(bucket)}/{quote(key)}</Location>"
            f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key><ETag>{escape(blob.etag)}</ETag>"
            "</CompleteMultipartUploadResult>"
        )
        return 200, xml.encode(), {"x-goog-generation": str(blob.generation)}


def _range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte span of a `Range: bytes=a-b` header; None (the whole object) for a header GCS
    ignores (malformed or several ranges); 416 when it cannot be satisfied."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if (
        not dash
        or not (first.isdigit() or last.isdigit())
        or (first and not first.isdigit())
        or (last and not last.isdigit())
    ):
        return None
    if not first:  # the last n bytes
        n = int(last)
        if n == 0 or size == 0:
            raise _Refused(416, "InvalidRange", "The requested range cannot be satisfied.", f"bytes={spec}")
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        raise _Refused(416, "InvalidRange", "The requested range cannot be satisfied.", f"bytes={spec}")
    return start, end


@contextmanager
def gcs_fake() -> Iterator[tuple[str, GcsState]]:
    """The fake on a free loopback port: its base URL and its state."""
    state = GcsState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.warehouse.gcs_fake [bucket ...]`: serve on a free loopback port, print the base URL
    on one line, and run until stdin closes (the tests' subprocess: delta-rs's file-system handler keeps
    the GIL while it waits for an answer, so the fake cannot live in the test's own process)."""
    import sys

    buckets = sys.argv[1:] if argv is None else argv
    with gcs_fake() as (url, state):
        for name in buckets:
            state.create_bucket(name)
        print(url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
