"""The officer inbox (`GET /petugas/`): what its first page costs as the city's cases pile up, and how heavy
the page is in a browser.

Cases are written straight into the cases table with batch writes (what the services would store, without
going through them), 1,000 first and then up to 50,000. The admin koordinator signs in through the form, as
a browser does, and the page is rendered by the real Chalice app (its test client); DynamoDB items read per
page are counted with botocore's after-call hooks (`ScannedCount` of each Query, items of each GetItem).
The page's weight is its HTML plus every asset it links (`<link href>`, `<script src>`, `<img src>`), fetched
through the same app; an asset on another origin is counted as an external request instead.
"""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

SMALL = 1_000
LARGE = 50_000
STATUS_MIX = ("BARU", "TERVERIFIKASI", "TERVERIFIKASI", "DITINDAKLANJUTI", "SELESAI",
              "SELESAI", "SELESAI", "BARU", "DITINDAKLANJUTI", "SELESAI")  # 20% BARU, like a busy city
FORM = "application/x-www-form-urlencoded"


class _Assets(HTMLParser):
    """Every URL the page makes a browser load: stylesheets and icons, scripts, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        wanted = {"link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src"}.get(tag)
        if wanted and found.get(wanted) and (tag != "link" or found.get("rel") not in ("next", "prev")):
            self.urls.append(str(found[wanted]))


def _records(ctx, start: int, stop: int, now: datetime, agencies: list[str]):
    """CaseRecord items as the repository writes them, in a realistic spread of statuses, OPDs and dates."""
    from chalicelib.domain.case import Actor, Channel, Reporter, Status
    from chalicelib.domain.lifecycle import new_case
    from chalicelib.store.cases import to_record

    template = new_case(
        case_id="KDR-BNCH-0000000", city_code="KDR", channel=Channel.WHATSAPP,
        description="x", received_at=now, actor=Actor.system("bench"), calendar=ctx.calendar, policy=ctx.policy,
        escalation=ctx.escalation, reporter=Reporter(name="Warga"), source_key="bench:0",
    )
    channels = [c for c in Channel]
    categories = sorted(ctx.categories)
    for n in range(start, stop):
        status = Status(STATUS_MIX[n % len(STATUS_MIX)])
        received = now - timedelta(minutes=7 * (LARGE - n))  # later numbers are newer, as they arrive
        lead = None if status is Status.BARU else agencies[n % len(agencies)]
        case = dataclasses.replace(
            template, case_id=f"KDR-BNCH-{n:07d}", status=status, received_at=received,
            channel=channels[n % len(channels)], category_id=categories[n % len(categories)],
            lead_agency=lead, source_key=f"bench:{n}",
            description=f"Laporan uji beban nomor {n}: jalan berlubang cukup dalam di depan pasar, sudah dua "
                        "minggu belum ditambal dan membahayakan pengendara motor pada malam hari.",
        )
        record = to_record(case)
        record.version = case.version  # a batch put writes it as is (no optimistic-lock bump)
        yield record


def _load(ctx, start: int, stop: int, now: datetime, agencies: list[str]) -> None:
    from chalicelib.store.models import CaseRecord

    with CaseRecord.batch_write() as batch:
        for record in _records(ctx, start, stop, now, agencies):
            batch.save(record)


def _sign_in(client, username: str, password: str) -> dict:
    form = client.http.get("/petugas/masuk")
    login_cookie = re.search(r"aduan_masuk=([^;]+)", form.headers.get("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrf" value="([^"]+)"', form.body.decode()).group(1)
    signed = client.http.post("/petugas/masuk", headers={"Content-Type": FORM, "Cookie": f"aduan_masuk={login_cookie}"},
                              body=urlencode({"username": username, "password": password, "csrf": token}))
    if signed.status_code != 303:
        raise RuntimeError(f"sign-in answered {signed.status_code}")
    session = re.search(r"aduan_sesi=([^;]+)", signed.headers.get("Set-Cookie", "")).group(1)
    return {"Cookie": f"aduan_sesi={session}"}


def _first_page(client, cookie: dict, counter, path: str = "/petugas/") -> tuple[bytes, int]:
    client.http.get(path, headers=cookie)  # warm: directory cache, connections, templates
    counter.reset()
    page = client.http.get(path, headers=cookie)
    if page.status_code != 200:
        raise RuntimeError(f"inbox answered {page.status_code}")
    return page.body, counter.items_read


def _page_weight(client, body: bytes, own_origin: str) -> tuple[int, int, list[str]]:
    parser = _Assets()
    parser.feed(body.decode())
    total, external, fetched = len(body), 0, []
    for url in parser.urls:
        parts = urlsplit(url)
        if (parts.scheme or parts.netloc) and f"{parts.scheme}://{parts.netloc}" != own_origin:
            external += 1  # another origin: a request the officer's browser would make elsewhere
            continue
        asset = client.http.get(parts.path)
        if asset.status_code != 200:
            raise RuntimeError(f"asset {url} answered {asset.status_code}")
        total += len(asset.body if isinstance(asset.body, bytes) else str(asset.body).encode())
        fetched.append(parts.path)
    return total, external, fetched


def measure_inbox(small: int = SMALL, large: int = LARGE) -> dict:
    from bench.stack import bench_tables

    with bench_tables():
        from chalice.test import Client

        from app import app
        from bench.metering import RequestCounter
        from chalicelib.services.context import build_context, set_context
        from demo.loader import load_demo_data

        now = datetime.now(UTC)
        ctx = build_context()
        set_context(ctx)
        logins = {d.username: d.password for d in load_demo_data(ctx, with_sample_cases=False)}
        agencies = sorted(ctx.agencies)
        own = urlsplit(ctx.channels.public_base_url)
        own_origin = f"{own.scheme}://{own.netloc}"
        started = time.perf_counter()
        _load(ctx, 0, small, now, agencies)
        with Client(app, stage_name="local") as client, RequestCounter() as counter:
            cookie = _sign_in(client, "admin.kominfo", logins["admin.kominfo"])
            _, small_read = _first_page(client, cookie, counter)
            _load(ctx, small, large, now, agencies)
            load_seconds = time.perf_counter() - started
            large_body, large_read = _first_page(client, cookie, counter)
            # a filter expression the BARU queue mostly fails: the read cap bounds the page
            _, filtered_read = _first_page(client, cookie, counter, "/petugas/?" + urlencode({"kanal": "sms"}))
            page_bytes, external, assets = _page_weight(client, large_body, own_origin)
            rows = large_body.decode().count('<th scope="row"')
        set_context(None)
    return {
        "inbox_cases_small": small,
        "inbox_cases_large": large,
        "inbox_rows": rows,
        "inbox_items_read_small": small_read,
        "inbox_items_read_large": large_read,
        "inbox_items_read_filtered": filtered_read,
        "inbox_read_ratio": round(large_read / small_read, 2),
        "inbox_html_kb": round(len(large_body) / 1024, 1),
        "inbox_page_kb": round(page_bytes / 1024, 1),
        "inbox_assets": assets,
        "inbox_external_requests": external,
        "inbox_load_seconds": round(load_seconds, 1),
    }


if __name__ == "__main__":
    for name, value in measure_inbox().items():
        print(f"{name}: {value}")
