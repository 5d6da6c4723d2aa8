"""Indonesian phone numbers to E.164, so the same person is recognised across channels.

`phonenumbers` (the lite build, without geocoder data) is imported on first use: it is not needed on the
cold path of most requests.
"""

from __future__ import annotations

from chalicelib.domain.errors import ValidationFailed


def normalize_phone(raw: str, region: str = "ID") -> str:
    """'0812-3456-7890', '+62 812 3456 7890', '6281234567890', 'whatsapp:+62…' -> '+6281234567890'."""
    import phonenumbers

    text = raw.strip()
    if text.lower().startswith(("whatsapp:", "tel:")):
        text = text.split(":", 1)[1]
    if text.startswith("62") and not text.startswith("+"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationFailed("Nomor telepon tidak valid.", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("Nomor telepon tidak valid.", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
