"""What Aduan says to citizens (Bahasa Indonesia), and where each answer goes."""

from __future__ import annotations

from chalicelib.channels.registry import CHANNELS
from chalicelib.domain.calendar import WIB, format_date_id
from chalicelib.domain.case import Case
from chalicelib.domain.messages import InboundMessage


def route_for(message: InboundMessage) -> tuple[str, str, dict] | None:
    """(channel, recipient, sending options) for an answer on the provider the message came from (None: not
    answered there, e.g. the web form, whose page itself shows the tracking number)."""
    provider = CHANNELS.for_event(message.event_key)
    return provider.reply_route(message) if provider else None


def tracking_url(base_url: str, case_id: str) -> str:
    return f"{base_url.rstrip('/')}/lacak/{case_id}"


def case_opened(case: Case, base_url: str) -> str:
    due = format_date_id(case.deadline.due_at.astimezone(WIB).date()) if case.deadline else "-"
    return (
        f"Terima kasih, laporan Anda sudah kami terima dengan nomor {case.case_id}. "
        f"Laporan akan diverifikasi paling lambat {due}. "
        f"Pantau perkembangannya di {tracking_url(base_url, case.case_id)} atau balas STATUS {case.case_id}. "
        "Foto dan lokasi yang Anda kirim dalam 30 menit ke depan akan kami lampirkan ke laporan ini."
    )


def case_opened_unverified(case: Case, base_url: str) -> str:
    """The answer to an e-mail whose sender no check vouched for: its own case, updates to this address."""
    due = format_date_id(case.deadline.due_at.astimezone(WIB).date()) if case.deadline else "-"
    return (
        f"Terima kasih, laporan Anda sudah kami terima dengan nomor {case.case_id}. "
        f"Laporan akan diverifikasi paling lambat {due}. "
        f"Pantau perkembangannya di {tracking_url(base_url, case.case_id)}; kabar perkembangan juga kami kirim "
        "ke alamat email ini. Karena alamat pengirim tidak dapat kami verifikasi, setiap email dari alamat ini "
        "dicatat sebagai laporan tersendiri dan tidak dapat mengubah laporan lain."
    )


def unverified_reply_ignored() -> str:
    return (
        "Balasan angka dari alamat email yang tidak dapat kami verifikasi tidak kami catat sebagai konfirmasi "
        "atau penilaian laporan. Untuk menanyakan laporan, balas STATUS <nomor laporan>."
    )


def status_rate_limited() -> str:
    return (
        "Mohon maaf, Anda sudah banyak menanyakan status laporan dalam satu jam terakhir. "
        "Silakan coba lagi nanti."
    )


def attached(case: Case, kind: str) -> str:
    what = "Lokasi" if kind == "location" else "Keterangan tambahan"
    return f"{what} sudah kami lampirkan ke laporan {case.case_id}. Terima kasih."


def reopened(case: Case) -> str:
    return (
        f"Tanggapan Anda untuk laporan {case.case_id} sudah kami terima dan laporan dibuka kembali "
        "untuk ditindaklanjuti."
    )


def details_received(case: Case) -> str:
    return f"Kelengkapan laporan {case.case_id} sudah kami terima. Laporan Anda kami proses kembali."


def status(case: Case | None, typed: str, agency_name: str | None, base_url: str, *,
           invite_rating: bool = False) -> str:
    """The public status; `invite_rating` only when the one asking is the case's own reporter (a stranger who
    knows the number must never be invited to rate someone else's case)."""
    if case is None:
        return (
            f"Nomor laporan '{typed.strip()[:40]}' tidak ditemukan. "
            "Periksa kembali nomornya, contoh: STATUS KDR-2611-7K3M9QX."
        )
    text = f"Laporan {case.case_id}: {case.status.label}."
    if agency_name and not case.confidential:  # a *rahasia* case never says who handles it
        text += f" Ditangani oleh {agency_name}."
    if invite_rating and case.rating is None and case.status.value == "SELESAI":
        text += " Mohon beri nilai pelayanan kami dengan membalas angka 1 sampai 5."
    return text + f" Rincian: {tracking_url(base_url, case.case_id)}"


NEW_COMPLAINT_HINT = "Untuk laporan baru, kirim BARU diikuti isi laporan."
CONFIRM_HINT = "Jika masalahnya sudah selesai, balas 1; jika belum, balas 2."


def confirmed(case: Case) -> str:
    return (
        f"Terima kasih atas konfirmasinya. Laporan {case.case_id} kami nyatakan selesai. "
        "Mohon beri nilai pelayanan kami dengan membalas angka 1 (buruk) sampai 5 (sangat baik)."
    )


def response_received(case: Case) -> str:
    return (
        f"Tanggapan Anda untuk laporan {case.case_id} sudah kami sampaikan kepada petugas. "
        f"{CONFIRM_HINT} {NEW_COMPLAINT_HINT}"
    )


def attached_to_followed_up(case: Case, kind: str) -> str:
    what = {"location": "Lokasi", "image": "Foto", "video": "Video"}.get(kind, "Kiriman Anda")
    return f"{what} sudah kami lampirkan ke laporan {case.case_id}. {CONFIRM_HINT} {NEW_COMPLAINT_HINT}"


def how_to_report() -> str:
    return (
        "Untuk menyampaikan laporan, kirim isi laporan Anda (apa, di mana, sejak kapan), boleh disertai foto "
        "dan lokasi. Untuk menanyakan laporan, balas STATUS <nomor laporan>."
    )


def new_complaint_empty() -> str:
    return "Tulis isi laporan setelah kata BARU, contoh: BARU Lampu jalan mati di Jl. Dhoho depan toko."


def thanks_for_rating(case: Case, score: int) -> str:
    return f"Terima kasih atas penilaian {score}/5 untuk laporan {case.case_id}."


def rate_limited() -> str:
    return (
        "Mohon maaf, Anda sudah mengirim banyak laporan baru dalam satu jam terakhir. "
        "Silakan coba lagi nanti, atau balas STATUS <nomor> untuk menanyakan laporan Anda."
    )


def placeholder_description(kind: str) -> str:
    return {
        "image": "(Laporan berupa foto)",
        "video": "(Laporan berupa video)",
        "audio": "(Laporan berupa pesan suara)",
        "file": "(Laporan berupa berkas)",
        "location": "(Laporan berupa lokasi)",
    }.get(kind, "(Laporan tanpa teks)")


def line_linked() -> str:
    return "Akun LINE Anda sudah terhubung. Peringatan laporan yang perlu ditindaklanjuti akan dikirim ke sini."


def line_link_invalid() -> str:
    return "Kode tidak valid atau sudah kedaluwarsa. Minta kode baru di aplikasi Aduan."
