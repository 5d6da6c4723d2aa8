"""Where citizens' photos and files are kept: S3 in the cloud, a folder under `.data/` locally.

Media links from providers expire within minutes, so intake copies each file here right away.
"""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.settings import ChannelSettings

_SAFE_KEY = re.compile(r"[^A-Za-z0-9._/-]")
EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif",
    "application/pdf": "pdf", "video/mp4": "mp4", "audio/ogg": "ogg", "audio/mpeg": "mp3",
}


def detect_type(data: bytes) -> str | None:
    """The media type by magic bytes (a declared type is never trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(b"ID3") or data[:2] == b"\xff\xfb":
        return "audio/mpeg"
    return None


class MediaStore:
    def __init__(self, settings: ChannelSettings) -> None:
        self.bucket = settings.media_bucket
        self.root = Path(settings.media_dir)

    def put(self, key: str, data: bytes, content_type: str) -> str:
        """Store `data` under a sanitised key; return the key."""
        key = _SAFE_KEY.sub("_", key).lstrip("/").replace("..", "_")
        if self.bucket:
            from chalicelib.store.aws import s3_client

            s3_client().put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, ServerSideEncryption="AES256"
            )
        else:
            path = self.root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return key

    def get(self, key: str) -> bytes | None:
        key = _SAFE_KEY.sub("_", key).lstrip("/").replace("..", "_")
        if self.bucket:
            from chalicelib.store.aws import s3_client

            try:
                return s3_client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except Exception:
                return None
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> bool:
        """Remove a stored file for good (erasure of a person's data); True if it was there (locally) or the
        delete was accepted (S3 answers the same whether or not the key existed)."""
        key = _SAFE_KEY.sub("_", key).lstrip("/").replace("..", "_")
        if self.bucket:
            from chalicelib.store.aws import s3_client

            s3_client().delete_object(Bucket=self.bucket, Key=key)
            return True
        path = self.root / key
        if path.is_file():
            path.unlink()
            return True
        return False
