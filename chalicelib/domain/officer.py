"""An officer account as the domain sees it (no password material here)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.case import Actor, Role


@dataclass(frozen=True)
class Officer:
    username: str
    display_name: str
    role: Role
    agency_id: str
    phone: str | None = None
    line_user_id: str | None = None
    alert_channel: str = "sms"  # "line" | "sms" | "email"
    email: str | None = None
    active: bool = True
    session_version: int = 0  # moves on when every session of the officer must end
    must_change_password: bool = False
    # alert preferences (None: the defaults — every kind, the city's quiet hours)
    alert_kinds: tuple[str, ...] | None = None  # AlertKind values the officer wants
    quiet_hours: str | None = None  # "21:00-06:00" WIB; "" means none
    urgent_at_night: bool = True  # urgent alerts (a new complaint) even inside quiet hours
    personal_with_group: bool = False  # personal alerts even when the OPD's LINE group gets them

    @property
    def actor(self) -> Actor:
        return Actor(actor_id=f"officer:{self.username}", role=self.role, agency_id=self.agency_id)
