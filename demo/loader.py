"""Demo data for a local run: the agencies, categories, officers and a few complaints of one city.

Idempotent: every record has a deterministic key, so a second `make run` finds the same data. Only the
`local` and `test` stages load it: the demo officers' passwords are printed in the README and the banner,
so loading them into a deployed stage would open it to anyone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from chalicelib.domain.case import Actor, Channel, Reporter, Role
from chalicelib.domain.officer import Officer
from chalicelib.services.auth import forget_session_state, hash_password
from chalicelib.services.context import Context, get_context
from chalicelib.services.workflow import open_case
from chalicelib.settings import LOCAL_STAGES
from demo import kediri


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    agency_id: str
    display_name: str


def load_demo_data(ctx: Context | None = None, with_sample_cases: bool = True,
                   local_line: bool | None = None) -> list[DemoLogin]:
    """`local_line` (default: as `with_sample_cases`, i.e. `make run`): every demo officer gets a local LINE
    user id and LINE alerts, and DPUPR's demo LINE group is bound; tests load the officers without them."""
    ctx = ctx or get_context()
    if ctx.settings.stage not in LOCAL_STAGES:
        raise RuntimeError(
            f"demo data loads only in the local and test stages, not in {ctx.settings.stage!r} (ADUAN_STAGE): "
            "its officers' passwords are public. Load the city's own directory instead."
        )
    local_line = with_sample_cases if local_line is None else local_line
    directory = ctx.directory
    for agency in kediri.AGENCIES:
        directory.put_agency(agency)
    for category in kediri.CATEGORIES:
        directory.put_category(category)
    for day, label in kediri.EXTRA_NON_WORKING_DAYS.items():
        directory.put_extra_day(day if isinstance(day, date) else date.fromisoformat(day), label)
    logins = []
    for demo in kediri.OFFICERS:
        existing = directory.officer_with_password_hash(demo.username)
        officer = Officer(
            username=demo.username,
            display_name=demo.display_name,
            role=Role(demo.role),
            agency_id=demo.agency_id,
            phone=demo.phone,
            line_user_id=demo.line_user_id if local_line else None,
            alert_channel="line" if local_line else demo.alert_channel,
        )
        if existing is None:
            directory.put_officer(officer, hash_password(demo.password))
        elif dataclasses.replace(existing[0], session_version=0, must_change_password=False) != officer:
            # a changed demo officer: rewrite it, and end its sessions (the version only ever moves on)
            moved_on = dataclasses.replace(officer, session_version=existing[0].session_version + 1)
            directory.put_officer(moved_on, hash_password(demo.password))
            forget_session_state(demo.username)  # this process's cached session version moved on too
        logins.append(DemoLogin(demo.username, demo.password, demo.role, demo.agency_id, demo.display_name))
    ctx.forget_directory()
    for agency_id, group_id in kediri.DEMO_LINE_GROUPS.items() if local_line else ():
        if ctx.line_groups.group_of(agency_id) != group_id:
            ctx.line_groups.bind(agency_id, group_id, "demo", ctx.now())
    for agency_id, title, body in kediri.REPLY_TEMPLATES:
        ctx.reply_templates.put(agency_id, f"demo:{title}", title, body, "demo", ctx.now())
    if with_sample_cases:
        for number, text in enumerate(kediri.SAMPLE_COMPLAINTS, start=1):
            reporter = Reporter(name=f"Warga Demo {number}", phone=f"+62812000090{number:02d}")
            if ctx.cases.list_by_reporter(reporter.key or "", limit=1):
                continue  # loaded by an earlier run (the tracking number carries the month of receipt)
            open_case(
                ctx,
                Actor.system("demo"),
                channel=Channel.WEB,
                description=text,
                source_key=f"demo:sample:{number}",
                reporter=reporter,
            )
    return logins
