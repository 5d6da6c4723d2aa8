"""What a citizen's reply to a followed-up case means: confirm, dispute, or something else.

Pure Python (no I/O). After the OPD records its follow-up the citizen is asked to reply 1 (selesai) or
2 (belum). People answer in their own words, in Indonesian, a little Javanese, with typos and emoji, so:

- DISPUTE when the reply says it is not done: "2", "belum"/"durung"/"urung", "masih rusak", "rusak lagi",
  "tidak benar", "bohong", "tidak ada yang datang"... A dispute wins over a confirmation in the same reply
  ("sudah diperbaiki tapi masih bocor" is a dispute): the cost of closing an unsolved case is the higher one.
- CONFIRM when it says clearly that it is done: "1", "sudah", "selesai", "beres", "wis", "uwis", "sampun",
  "sudah bersih", "terima kasih sudah diperbaiki"... A thanks that also confirms ("Terima kasih pak, sudah
  bersih") confirms. "sudah" must stand alone or be followed by an outcome ("sudah bersih", "sudah tidak
  banjir"): "saya sudah kirim foto" is not a confirmation. A question ("apakah sudah diperbaiki?") never is.
- OTHER for everything else: thanks alone, questions, "ok", emoji, a new topic. The case does not move.

Who a reply may reach (`sender_is_proven`, `case_identity_is_proven`): a reply moves a case only when the
channel proves who sent it. LINE, Telegram, WhatsApp, SMS, Messenger and Instagram give the provider's own
sender id, and e-mail whose From address DMARC or aligned SPF vouched for is proof too. A phone number or
address typed on the web form, an unauthenticated e-mail's From and the number an officer enters for a phone
complaint are claims: contact information for the updates, never a key to someone else's cases.

`new_complaint_text` recognises the explicit keyword that always starts a new complaint: `BARU <isi>` or
`LAPOR <isi>` or `LAPORAN BARU <isi>` (typed in capitals, as the citizen is told), or in any case with a colon
(`baru: <isi>`, `lapor: <isi>`). A capitalised "Baru diperbaiki kemarin..." is a sentence, not the keyword.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.case import Case


class ReplyKind(StrEnum):
    CONFIRM = "confirm"
    DISPUTE = "dispute"
    OTHER = "other"


# "not yet" (Indonesian, typos, Javanese ngoko/krama)
NOT_YET = frozenset({"belum", "blm", "blum", "belom", "blom", "blon", "belon", "durung", "urung", "rung", "dereng",
                     "drng", "drg"})
# "already" / "done"
ALREADY = frozenset({"sudah", "sdh", "sudh", "suda", "udah", "udh", "dah", "sdah", "wis", "uwis", "wes", "uwes",
                     "wus", "sampun", "mpun"})
NEGATION = frozenset({"tidak", "tdk", "tak", "gak", "ga", "gk", "ngga", "nggak", "enggak", "engga", "ndak", "nda",
                      "ora", "ra", "mboten", "boten", "kagak", "g"})
# The state a fix leaves behind (after "sudah", or alone as a whole reply when strong).
OUTCOMES = frozenset({
    "selesai", "beres", "bersih", "resik", "tuntas", "kelar", "rampung", "mari", "rapi", "rapih", "normal",
    "baik", "bagus", "apik", "aman", "lancar", "nyala", "menyala", "hidup", "urip", "terang", "mengalir",
    "jalan", "mulus", "halus", "surut", "kering", "hilang", "oke", "ok", "mantap", "sip", "diperbaiki",
    "dibetulkan", "dibenerin", "dibenahi", "dibersihkan", "diangkut", "ditambal", "diaspal", "diganti",
    "dipasang", "dikerjakan", "dirapikan", "dipangkas", "ditebang", "dikeruk", "diatasi", "ditangani",
    "diselesaikan", "dibereskan", "diambil", "dibuang", "disedot", "dicor", "diurug", "dinyalakan", "diperbaikin",
    "didandani", "dibenakke", "diresiki", "dilakukan", "tertangani", "teratasi", "terselesaikan", "clear",
})
STRONG_OUTCOMES = frozenset({"selesai", "beres", "tuntas", "kelar", "rampung", "done"})
# What a problem still looks like (after "masih", before "lagi").
PROBLEMS = frozenset({
    "rusak", "bocor", "mati", "padam", "menumpuk", "numpuk", "banjir", "tergenang", "genangan", "macet", "mampet",
    "berlubang", "bolong", "lubang", "kotor", "bau", "gelap", "ada", "sama", "seperti", "kayak", "kaya", "begitu",
    "begini", "parah", "licin", "retak", "ambles", "longsor", "berserakan", "tersumbat", "buntu", "tumbang",
    "berantakan", "bising", "berisik", "keruh", "tidak", "gak", "ga", "nggak", "belum", "sering", "terjadi",
    "pecah", "putus", "miring", "roboh", "ambrol", "meluap", "banyak", "nyumbat", "mangkrak", "tetap",
})
# Whole phrases that dispute the follow-up wherever they appear.
DISPUTE_PHRASES = (
    "tidak benar", "tdk benar", "gak benar", "ga benar", "nggak benar", "gak bener", "ga bener", "nggak bener",
    "ora bener", "tidak sesuai", "tdk sesuai", "gak sesuai", "ga sesuai", "nggak sesuai", "ora sesuai",
    "tidak ada perubahan", "gak ada perubahan", "ga ada perubahan", "tidak ada perbaikan", "gak ada perbaikan",
    "tidak ada yang datang", "gak ada yang datang", "ga ada yang datang", "nggak ada yang datang",
    "tidak ada petugas", "gak ada petugas", "ora ana", "sama saja", "sama aja", "podo wae", "padha wae", "podo ae",
    "kembali rusak", "asal asalan", "asal-asalan", "cuma difoto", "hanya difoto", "tambal sulam", "setengah jadi",
    "salah lokasi", "salah tempat", "bukan di situ", "bukan disitu",
)
LIARS = frozenset({"bohong", "bhong", "boong", "hoax", "hoaks", "palsu", "fiktif", "ngibul", "ngapusi", "dusta",
                   "percuma", "nihil", "zonk"})
# A request or a contrast is not a confirmation ("mohon diperbaiki sampai selesai", "sudah ..., tapi ...").
NOT_A_CONFIRMATION = frozenset({"mohon", "tolong", "segera", "harap", "minta", "sampai", "sampe", "hingga", "agar",
                                "supaya", "biar", "tapi", "tetapi", "namun", "tp", "cuma", "hanya", "kecuali",
                                "harus", "kalau", "kalo", "jika", "semoga"})
QUESTION_WORDS = frozenset({"apakah", "apa", "kapan", "kpn", "bagaimana", "gimana", "gmn", "kenapa", "knp",
                            "mengapa", "sudahkah", "bisakah", "kapankah", "piye"})
FILLERS = frozenset({"pak", "bu", "bpk", "ibu", "mas", "mbak", "mba", "kak", "min", "admin", "terima", "kasih",
                     "makasih", "trims", "tks", "thx", "thanks", "matur", "nuwun", "suwun", "alhamdulillah",
                     "ya", "iya", "yaa", "nggih", "injih", "inggih", "ok", "oke", "okay", "sip", "siap", "mantap",
                     "mantab", "sekarang", "skrg", "saat", "ini", "kok", "deh", "kah", "lho", "loh", "nya",
                     "dong", "sih", "gan", "lur", "rek", "bosku", "semua", "banyak", "telah"})

_WORD = re.compile(r"[a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "sudaaah" -> "sudah", "belummm" -> "belum"
_NUMBER_REPLY = re.compile(r"^\s*(?P<n>[12])\s*(?:[.)!:\-]|\s|$)")
_NEW_COMPLAINT = re.compile(r"^\s*(?P<word>laporan\s+baru|baru|lapor)\b\s*(?P<colon>[:\-])?\s*(?P<body>.*)$",
                            re.IGNORECASE | re.DOTALL)


def words(text: str) -> list[str]:
    """Lower-case words, emoji and punctuation dropped, stretched letters folded."""
    folded = _REPEATS.sub(r"\1", (text or "").lower().replace("-", " "))
    tokens = _WORD.findall(folded)
    out: list[str] = []
    for token in tokens:
        # "lubangnya" -> "lubang", "sampahe" stays: only the common -nya suffix is peeled off
        out.append(token[:-3] if token.endswith("nya") and len(token) > 5 else token)
    return out


def classify_reply(text: str | None) -> ReplyKind:
    """What a citizen's text reply to a followed-up case means (see the module's docstring)."""
    raw = (text or "").strip()
    if not raw:
        return ReplyKind.OTHER
    number = _NUMBER_REPLY.match(raw)
    if number and len(words(raw)) <= 4:
        # "1", "1.", "2 belum", "1 sudah pak": the answer the citizen was asked for (a longer text starting
        # with a digit, "1 tiang roboh di ...", is read as words)
        rest = words(raw)[1:]
        if number.group("n") == "2":
            return ReplyKind.DISPUTE
        return ReplyKind.DISPUTE if _disputes(rest, raw) else ReplyKind.CONFIRM
    tokens = words(raw)
    if not tokens:
        return ReplyKind.OTHER  # emoji only
    if _disputes(tokens, raw):
        return ReplyKind.DISPUTE
    if _is_question(tokens, raw):
        return ReplyKind.OTHER
    if _confirms(tokens):
        return ReplyKind.CONFIRM
    return ReplyKind.OTHER


def new_complaint_text(text: str | None) -> str | None:
    """The complaint after an explicit new-complaint keyword (possibly ""), or None without the keyword."""
    found = _NEW_COMPLAINT.match(text or "")
    if not found:
        return None
    word = found.group("word")
    if not word.isupper() and not found.group("colon"):
        return None  # "Baru diperbaiki kemarin..." is a sentence, not the keyword
    return found.group("body").strip()


# ---------------------------------------------------------------- the parts


def _is_question(tokens: list[str], raw: str) -> bool:
    return "?" in raw or bool(QUESTION_WORDS.intersection(tokens))


def _disputes(tokens: list[str], raw: str) -> bool:
    tokens = _drop_question_tag(tokens, raw)
    joined = " " + " ".join(tokens) + " "
    if any(f" {phrase} " in joined for phrase in DISPUTE_PHRASES):
        return True
    if LIARS.intersection(tokens):
        return True
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in NOT_YET:
            return True
        if token == "masih" and (not after or after in PROBLEMS or after in NOT_YET):
            return True
        if token == "lagi" and before in PROBLEMS and before not in ("ada", "sama", "tidak", "gak", "ga"):
            return True  # "rusak lagi", "mati lagi", "banjir lagi"
        if token in NEGATION and before not in ALREADY:
            # "tidak diperbaiki", "gak beres", "ora ana", "tidak ada yang": the fix did not happen. After
            # "sudah" it is the problem that is gone ("sudah tidak banjir"), a confirmation.
            if after in OUTCOMES or after in STRONG_OUTCOMES or after in ("ada", "ana", "datang", "benar", "bener"):
                return True
            if (not after or after in FILLERS) and len(tokens) <= 3:
                return True  # "tidak", "gak pak": a plain no
    return False


def _drop_question_tag(tokens: list[str], raw: str) -> list[str]:
    """'sudah diperbaiki belum?' asks; the trailing 'belum' is a question tag, not a dispute."""
    if len(tokens) >= 2 and tokens[-1] in NOT_YET and (_is_question(tokens, raw) or tokens[-2] in ("atau", "apa")):
        return tokens[:-1]
    return tokens


def _confirms(tokens: list[str]) -> bool:
    if NOT_A_CONFIRMATION.intersection(tokens):
        return False
    meaningful = [t for t in tokens if t not in FILLERS]
    if len(tokens) <= 6 and any(t in STRONG_OUTCOMES for t in meaningful):
        return True
    for i, token in enumerate(tokens):
        if token not in ALREADY:
            continue
        rest = [t for t in tokens[i + 1:] if t not in ("di", "pada")]
        after = rest[0] if rest else ""
        if not after or after in FILLERS or after in OUTCOMES:
            return True  # "sudah", "wis pak", "sudah bersih", "terima kasih sudah diperbaiki"
        if after in NEGATION and len(rest) > 1:
            return True  # "sudah tidak banjir", "wis ora bocor"
        if after in ("bisa", "bs") and len(rest) > 1:
            return True  # "sudah bisa dilewati"
    # A short reply made only of outcome words and fillers: "bersih pak", "sip, beres", "mantap, lancar"
    outcome_only = [t for t in meaningful if t not in OUTCOMES]
    return bool(meaningful) and not outcome_only and len(tokens) <= 4 and any(
        t in OUTCOMES and t not in ("ok", "oke", "sip", "mantap", "jalan", "baik", "hidup") for t in meaningful)


# ---------------------------------------------------------------- whose reply this is

# Channels whose provider tells us who sent the message (a signed webhook carrying the sender's own id).
PROVING_CHANNELS = frozenset({"line", "telegram", "whatsapp", "sms", "messenger", "instagram"})
# Marks the sender id of an e-mail no DMARC/SPF check vouched for ("unverified:warga@example.com"); the case
# it opens keeps the mark in its channel user id ("email:unverified:…").
UNVERIFIED_SENDER = "unverified:"


def sender_is_proven(channel: str, sender_id: str | None) -> bool:
    """Whether the channel proves this message's sender (only then may it act on the sender's cases)."""
    if channel == "email":
        return bool(sender_id) and not str(sender_id).startswith(UNVERIFIED_SENDER)
    return channel in PROVING_CHANNELS


def case_identity_is_proven(case: Case) -> bool:
    """Whether the case was opened by a sender its channel proved. A web-form, officer-entry or
    unauthenticated e-mail case is not: its phone or address only says where the updates go, so it neither
    counts against that person's hourly allowance nor takes part in their conversation on other channels."""
    channel = case.channel.value
    if channel == "email":
        return not (case.reporter.channel_user_id or "").startswith(f"email:{UNVERIFIED_SENDER}")
    return channel in PROVING_CHANNELS
