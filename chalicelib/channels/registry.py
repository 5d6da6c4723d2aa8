"""The one map from a channel name or an event-key prefix to the provider module that serves it.

Services never name a provider: a webhook names its provider (`receive_webhook("line", …)`), an inbound message
is found by its event key's prefix ("tw:…" is Twilio's, whatever its channel), an outbox row by its `via` option
or else its channel, a case by the event that opened it or else its channel. Adding a channel is one module that
follows `base.Provider` plus one `Entry` below with `webhook=True`: its deliveries then arrive on
`POST /webhooks/<its first name>` (the generic route in handlers/webhooks.py), no handler to write. The providers
listed here first have routes of their own (Meta's subscription handshake, Twilio's TwiML answer, the SMS
gateway's name in the path).

Modules load on first use (a zero-argument loader with an ordinary import): the LINE webhook must not pay for
importing the other providers on a cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.channels.base import Provider
    from chalicelib.settings import ChannelSettings


@dataclass(frozen=True)
class Entry:
    """One provider: the names it answers to (webhook name, the channels it is the default for, its `via`),
    the event-key prefix of its deliveries, and how to load its module."""

    names: tuple[str, ...]
    prefix: str
    load: Callable[[], Provider]
    webhook: bool = False  # served by the generic `POST /webhooks/<names[0]>` (no route of its own)


class Registry:
    """Provider modules by name and by event-key prefix."""

    def __init__(self, entries: tuple[Entry, ...] = ()) -> None:
        self._entries: list[Entry] = []
        for entry in entries:
            self.register(entry)

    def register(self, entry: Entry) -> None:
        """Add a provider; a name or prefix that is already taken is refused (two modules for one name is a bug)."""
        taken = {n for e in self._entries for n in e.names} | {e.prefix for e in self._entries}
        clash = taken & {*entry.names, entry.prefix}
        if clash:
            raise ValueError(f"already registered: {sorted(clash)}")
        self._entries.append(entry)

    def unregister(self, entry: Entry) -> None:
        self._entries.remove(entry)

    @contextmanager
    def registered(self, entry: Entry) -> Iterator[Entry]:
        """The provider is registered for the duration of the block (tests, a channel tried out)."""
        self.register(entry)
        try:
            yield entry
        finally:
            self.unregister(entry)

    def named(self, name: str | None) -> Provider | None:
        """The provider a webhook route, an outbox `via` or a channel name stands for."""
        for entry in self._entries:
            if name in entry.names:
                return entry.load()
        return None

    def generic_webhook(self, name: str) -> bool:
        """Whether `POST /webhooks/<name>` is this registry's generic route for a provider (only providers
        registered with `webhook=True`, by their first name: never a provider another route serves)."""
        return name in self.generic_webhook_paths()

    def generic_webhook_paths(self) -> dict[str, str]:
        """The webhook path of each provider the generic route serves, by name (what `make deploy` lists)."""
        return {entry.names[0]: f"/webhooks/{entry.names[0]}" for entry in self._entries if entry.webhook}

    def for_event(self, event_key: str | None) -> Provider | None:
        """The provider that delivered the message with this event key (or opened a case from it)."""
        for entry in self._entries:
            if event_key and event_key.startswith(entry.prefix):
                return entry.load()
        return None

    def for_outbound(self, channel: str, options: Mapping[str, Any]) -> Provider | None:
        """The provider that sends an outbox message: the one its `via` option names, else its channel's."""
        return self.named(options.get("via") or channel)

    def for_case(self, channel: str, source_key: str | None) -> Provider | None:
        """The provider of the event a case was opened from, else the one of its channel (officer entries,
        renamed keys)."""
        return self.for_event(source_key) or self.named(channel)


def sms_via(settings: ChannelSettings) -> str:
    """The provider that sends SMS to a phone number no conversation ties to a provider: the gateway when one
    is configured, else Twilio."""
    return "gateway" if settings.sms_gateway_send_url else "twilio"


def _line() -> Provider:
    from chalicelib.channels import line

    return line


def _whatsapp() -> Provider:
    from chalicelib.channels import whatsapp

    return whatsapp


def _meta() -> Provider:
    from chalicelib.channels import meta

    return meta


def _twilio() -> Provider:
    from chalicelib.channels import twilio

    return twilio


def _telegram() -> Provider:
    from chalicelib.channels import telegram

    return telegram


def _sms_gateway() -> Provider:
    from chalicelib.channels import sms_gateway

    return sms_gateway


def _email() -> Provider:
    from chalicelib.channels import email

    return email


def _web() -> Provider:
    from chalicelib.channels import web

    return web


CHANNELS = Registry((
    Entry(("line",), "line:", _line),
    Entry(("whatsapp",), "wa:", _whatsapp),  # WhatsApp Cloud API (Meta); via Twilio: `via="twilio"`, "tw:"
    Entry(("meta", "messenger", "instagram"), "meta:", _meta),
    Entry(("twilio",), "tw:", _twilio),  # SMS and WhatsApp through Twilio: one webhook, one prefix
    Entry(("telegram",), "tg:", _telegram),
    Entry(("gateway", "sms"), "sms:", _sms_gateway),  # the local SMS gateway, the default for channel "sms"
    Entry(("email",), "mail:", _email),
    Entry(("web",), "web:", _web),
))
