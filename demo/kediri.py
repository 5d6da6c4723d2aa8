"""Demo directory of one city, Kota Kediri (Jawa Timur), for `make run`, the simulator and tests.

Agency names follow the perangkat daerah of Kota Kediri; the officers, phone numbers and passwords are
fake and exist only so a person can log in to a local run (the passwords are printed at start-up).

Routing choice for drinking water: PDAM complaints (water off, murky water, leaking pipes, bills) go to the
city's water utility, Perumda Air Minum — a BUMD, not an OPD — through its *pejabat penghubung*, as
SP4N-LAPOR! connects BUMDs. The utility is the only party that can act on them; DPUPR (Cipta Karya) builds
new networks but cannot fix an outage, and the admin koordinator can still add it as a supporting OPD.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from chalicelib.domain.routing import Agency, Category

CITY_CODE = "KDR"
CITY_NAME = "Kota Kediri"

# Demo regional holiday: the city's anniversary, configured as an extra non-working day to show that a
# city can add days the national calendar does not know.
EXTRA_NON_WORKING_DAYS: dict[date, str] = {
    date(2026, 7, 27): "Hari Jadi Kota Kediri",
    date(2027, 7, 27): "Hari Jadi Kota Kediri",
}

AGENCIES: tuple[Agency, ...] = (
    Agency("diskominfo", "Dinas Komunikasi dan Informatika", "Diskominfo"),
    Agency("setda", "Sekretariat Daerah", "Setda"),
    Agency("inspektorat", "Inspektorat Daerah", "Inspektorat"),
    Agency("dpupr", "Dinas Pekerjaan Umum dan Penataan Ruang", "DPUPR"),
    Agency("perkim", "Dinas Perumahan dan Kawasan Permukiman", "Disperkim"),
    Agency("dlhkp", "Dinas Lingkungan Hidup, Kebersihan dan Pertamanan", "DLHKP"),
    Agency("dishub", "Dinas Perhubungan", "Dishub"),
    Agency("dispendukcapil", "Dinas Kependudukan dan Pencatatan Sipil", "Dispendukcapil"),
    Agency("disdik", "Dinas Pendidikan", "Disdik"),
    Agency("dinkes", "Dinas Kesehatan", "Dinkes"),
    Agency("satpolpp", "Satuan Polisi Pamong Praja", "Satpol PP"),
    Agency("dpmptsp", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "DPMPTSP"),
    Agency("dinsos", "Dinas Sosial", "Dinsos"),
    Agency("bpbd", "Badan Penanggulangan Bencana Daerah", "BPBD"),
    Agency("dkpp", "Dinas Ketahanan Pangan dan Pertanian", "DKPP"),
    Agency("disperdagin", "Dinas Perdagangan dan Perindustrian", "Disperdagin"),
    # A BUMD, not an OPD: see the module docstring for why water complaints route here.
    Agency("pdam", "Perumda Air Minum Kota Kediri (BUMD)", "Perumda AM"),
)

CATEGORIES: tuple[Category, ...] = (
    Category(
        "jalan-jembatan",
        "Jalan dan Jembatan Rusak",
        "dpupr",
        (
            "jalan rusak",
            "jalan berlubang",
            "lubang",
            "aspal",
            "aspal mengelupas",
            "jalan retak",
            "jalan bergelombang",
            "jembatan",
            "jembatan rusak",
            "paving",
            "tambal",
            "perbaikan jalan",
            "trotoar rusak",
            "plengsengan",
        ),
    ),
    Category(
        "drainase",
        "Drainase, Banjir dan Genangan",
        "dpupr",
        (
            "banjir",
            "genangan",
            "tergenang",
            "kebanjiran",
            "saluran",
            "saluran air",
            "saluran tersumbat",
            "selokan",
            "got",
            "drainase",
            "tersumbat",
            "gorong-gorong",
            "air meluap",
            "air hujan",
        ),
    ),
    Category(
        "kebersihan",
        "Kebersihan dan Sampah",
        "dlhkp",
        (
            "sampah",
            "sampah menumpuk",
            "tumpukan sampah",
            "tidak diangkut",
            "sampah tidak diangkut",
            "tps",
            "tempat pembuangan sampah",
            "truk sampah",
            "petugas kebersihan",
            "buang sampah sembarangan",
            "pembakaran sampah",
            "bau busuk",
            "kotor",
            "kebersihan",
        ),
    ),
    Category(
        "pertamanan",
        "Taman dan Ruang Terbuka Hijau",
        "dlhkp",
        (
            "taman",
            "taman kota",
            "ruang terbuka hijau",
            "rth",
            "pangkas",
            "pemangkasan pohon",
            "pohon rawan tumbang",
            "rawan tumbang",
            "ranting",
            "dahan",
            "rumput liar",
            "penebangan pohon",
        ),
    ),
    Category(
        "pencemaran",
        "Pencemaran Lingkungan",
        "dlhkp",
        (
            "pencemaran",
            "tercemar",
            "limbah",
            "limbah pabrik",
            "limbah tahu",
            "air sungai tercemar",
            "asap",
            "polusi",
            "bau limbah",
            "kebisingan",
            "sungai kotor",
            "ikan mati",
        ),
    ),
    Category(
        "penerangan-jalan",
        "Penerangan Jalan Umum (PJU)",
        "dishub",
        (
            "penerangan jalan umum",
            "pju",
            "lampu jalan",
            "lampu penerangan",
            "lampu mati",
            "lampu padam",
            "lampu",
            "lampu berkedip",
            "jalan gelap",
            "gelap",
            "tiang lampu",
            "kabel lampu",
        ),
        default_tier="ringan",
    ),
    Category(
        "lalu-lintas",
        "Lalu Lintas, Parkir dan Angkutan Umum",
        "dishub",
        (
            "lalu lintas",
            "lampu lalu lintas",
            "traffic light",
            "macet",
            "kemacetan",
            "parkir",
            "parkir liar",
            "juru parkir",
            "tarif parkir",
            "rambu",
            "rambu lalu lintas",
            "marka jalan",
            "angkot",
            "angkutan umum",
            "terminal",
        ),
    ),
    Category(
        "adminduk",
        "Administrasi Kependudukan (KTP, KK, Akta)",
        "dispendukcapil",
        (
            "ktp",
            "kartu keluarga",
            "kk",
            "akta",
            "akta kelahiran",
            "akta kematian",
            "kia",
            "nik",
            "surat pindah",
            "pindah domisili",
            "rekam ktp",
            "cetak ktp",
            "blangko ktp",
            "dukcapil",
            "adminduk",
        ),
    ),
    Category(
        "pendidikan",
        "Pendidikan dan Sekolah",
        "disdik",
        (
            "sekolah",
            "ppdb",
            "zonasi",
            "jalur zonasi",
            "kuota",
            "guru",
            "siswa",
            "murid",
            "seragam",
            "beasiswa",
            "dana bos",
            "spp",
            "paud",
            "ijazah",
            "pendidikan",
        ),
    ),
    Category(
        "kesehatan",
        "Kesehatan dan Layanan Puskesmas",
        "dinkes",
        (
            "puskesmas",
            "bpjs",
            "bpjs kesehatan",
            "kis",
            "rumah sakit",
            "rsud",
            "dokter",
            "obat",
            "perawat",
            "ambulans",
            "posyandu",
            "imunisasi",
            "demam berdarah",
            "fogging",
            "stunting",
        ),
    ),
    Category(
        "air-bersih",
        "Air Bersih (PDAM)",
        "pdam",
        (
            "pdam",
            "air pdam",
            "perumda air minum",
            "air bersih",
            "air mati",
            "air tidak mengalir",
            "tidak mengalir",
            "air keruh",
            "keruh",
            "pipa bocor",
            "pipa pecah",
            "tagihan air",
            "meteran air",
            "debit air kecil",
        ),
    ),
    Category(
        "pungli",
        "Pungutan Liar dan Penyalahgunaan Wewenang",
        "inspektorat",
        (
            "pungutan liar",
            "pungli",
            "uang pelicin",
            "suap",
            "sogok",
            "gratifikasi",
            "korupsi",
            "calo",
            "minta uang",
            "dimintai uang",
            "biaya tidak resmi",
            "penyalahgunaan wewenang",
            "pegawai bolos",
            "asn bolos",
        ),
        default_tier="berkadar_pengawasan",
    ),
    Category(
        "ketertiban",
        "Ketertiban Umum dan PKL",
        "satpolpp",
        (
            "pedagang kaki lima",
            "pkl",
            "trotoar",
            "menutup trotoar",
            "lapak liar",
            "bangunan liar",
            "reklame liar",
            "spanduk liar",
            "baliho",
            "balap liar",
            "minuman keras",
            "miras",
            "ketertiban",
            "satpol pp",
            "keramaian",
        ),
    ),
    Category(
        "perizinan",
        "Perizinan dan Penanaman Modal",
        "dpmptsp",
        (
            "izin",
            "izin usaha",
            "perizinan",
            "imb",
            "pbg",
            "persetujuan bangunan gedung",
            "izin mendirikan bangunan",
            "nib",
            "oss",
            "slf",
            "sertifikat laik fungsi",
            "mal pelayanan publik",
            "mpp",
            "investasi",
        ),
        default_tier="tidak_berkadar_pengawasan",
    ),
    Category(
        "bansos",
        "Bantuan Sosial dan Kesejahteraan Sosial",
        "dinsos",
        (
            "bantuan sosial",
            "bansos",
            "pkh",
            "program keluarga harapan",
            "bpnt",
            "blt",
            "dtks",
            "bantuan sembako",
            "tidak cair",
            "bantuan belum cair",
            "tidak terdaftar",
            "gelandangan",
            "pengemis",
            "odgj",
            "lansia terlantar",
        ),
    ),
    Category(
        "hewan-pertanian",
        "Hewan, Pangan dan Pertanian",
        "dkpp",
        (
            "anjing liar",
            "anjing",
            "rabies",
            "hewan liar",
            "kucing liar",
            "hewan ternak",
            "sapi",
            "penyakit mulut dan kuku",
            "pmk",
            "flu burung",
            "pupuk",
            "pupuk subsidi",
            "petani",
            "sawah",
            "keamanan pangan",
        ),
    ),
    Category(
        "bencana-kebakaran",
        "Bencana, Kebakaran dan Pohon Tumbang",
        "bpbd",
        (
            "kebakaran",
            "terbakar",
            "pemadam kebakaran",
            "damkar",
            "api",
            "pohon tumbang",
            "pohon roboh",
            "tumbang",
            "tanah longsor",
            "longsor",
            "angin kencang",
            "puting beliung",
            "banjir bandang",
            "evakuasi",
            "korsleting",
        ),
        default_tier="ringan",
    ),
    Category(
        "pasar-perdagangan",
        "Pasar, Harga dan Perdagangan",
        "disperdagin",
        (
            "pasar",
            "pasar tradisional",
            "harga",
            "harga naik",
            "harga minyak",
            "minyak goreng",
            "sembako",
            "elpiji",
            "gas melon",
            "lpg",
            "langka",
            "kelangkaan",
            "retribusi pasar",
            "kios pasar",
            "timbangan",
        ),
    ),
    Category(
        "perumahan",
        "Perumahan dan Permukiman",
        "perkim",
        (
            "rumah tidak layak huni",
            "tidak layak huni",
            "rtlh",
            "bedah rumah",
            "rehab rumah",
            "perumahan",
            "permukiman kumuh",
            "kumuh",
            "fasilitas umum perumahan",
            "fasum",
            "psu",
            "makam",
            "pemakaman",
            "tpu",
        ),
        default_tier="tidak_berkadar_pengawasan",
    ),
    Category(
        "layanan-digital",
        "Informasi Publik dan Layanan Digital",
        "diskominfo",
        (
            "wifi",
            "wifi publik",
            "internet",
            "website",
            "situs",
            "aplikasi",
            "informasi publik",
            "ppid",
            "cctv",
            "sinyal",
        ),
    ),
)


@dataclass(frozen=True)
class DemoOfficer:
    """A demo login; ``phone`` is a fake E.164 number that receives alerts in the local outbox only."""

    username: str
    display_name: str
    role: str
    agency_id: str
    password: str
    phone: str
    alert_channel: str

    @property
    def line_user_id(self) -> str:
        """A local-only LINE user id (33 characters like LINE's `U…`): alerts to it land in the local outbox."""
        return demo_line_id("U", self.username)


def demo_line_id(prefix: str, name: str) -> str:
    """Deterministic demo LINE ids: `Udemo…` (user) / `Cdemo…` (group), 33 characters, never real ones."""
    return prefix + "demo" + hashlib.sha256(f"aduan-demo:{name}".encode()).hexdigest()[:28]


# The DPUPR officers' LINE group, bound to DPUPR by `load_demo_data` (`make simulate CHANNEL=line-group`).
DEMO_LINE_GROUPS: dict[str, str] = {"dpupr": demo_line_id("C", "grup-dpupr")}


OFFICERS: tuple[DemoOfficer, ...] = (
    DemoOfficer(
        "admin.kominfo",
        "Admin Koordinator Diskominfo",
        "admin",
        "diskominfo",
        "kediri-admin-2026",
        "+6281200000001",
        "line",
    ),
    DemoOfficer(
        "petugas.dpupr",
        "Petugas Penghubung DPUPR",
        "opd",
        "dpupr",
        "kediri-dpupr-2026",
        "+6281200000002",
        "sms",
    ),
    DemoOfficer(
        "kabid.dpupr",
        "Kabid Bina Marga DPUPR",
        "supervisor",
        "dpupr",
        "kediri-kabid-2026",
        "+6281200000003",
        "line",
    ),
    DemoOfficer(
        "sekda",
        "Sekretaris Daerah Kota Kediri",
        "leadership",
        "setda",
        "kediri-sekda-2026",
        "+6281200000004",
        "sms",
    ),
    DemoOfficer(
        "petugas.dlhkp",
        "Petugas Penghubung DLHKP",
        "opd",
        "dlhkp",
        "kediri-dlhkp-2026",
        "+6281200000005",
        "line",
    ),
)

SAMPLE_COMPLAINTS: tuple[str, ...] = (
    "Jl. Semeru dekat SDN Banjaran jalannya berlubang besar, sudah 2 motor jatuh. Mohon segera ditambal.",
    "Sampah di TPS Jl. Mayor Bismo sudah 4 hari gak diangkut, baunya sampai ke rumah warga.",
    "Lampu PJU sepanjang Jl. Hayam Wuruk mati semua sejak minggu lalu, rawan begal kalau malam.",
    "Air PDAM di Perumahan Griya Intan Permai keruh dan kadang tidak mengalir sejak Senin.",
    "Setiap hujan deras perempatan Jl. Joyoboyo tergenang setinggi lutut karena saluran air mampet.",
    "Banyak PKL berjualan di trotoar depan Stadion Brawijaya, pejalan kaki terpaksa turun ke jalan.",
    "Saya dimintai uang 150 ribu oleh oknum kelurahan supaya surat keterangan cepat jadi, apakah ini pungli?",
    "Pengurusan akta kelahiran anak saya di Dispendukcapil sudah 3 minggu belum jadi.",
    "Bantuan PKH ibu saya tidak cair lagi sejak bulan lalu padahal masih terdaftar DTKS.",
    "Ada anjing liar berkeliaran di sekitar Pasar Bandar, sudah menggigit anak kecil, warga takut rabies.",
)

# (agency, title, body): reusable replies to citizens an OPD starts from (the reply form offers them)
REPLY_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("dpupr", "Survei lokasi",
     "Terima kasih atas laporannya. Petugas DPUPR akan melakukan survei ke lokasi dalam 3 hari kerja. "
     "Mohon kirimkan titik lokasi atau foto tambahan bila ada."),
    ("dpupr", "Jalan kewenangan provinsi",
     "Terima kasih. Ruas jalan yang dilaporkan merupakan kewenangan Pemerintah Provinsi Jawa Timur; laporan "
     "Anda kami teruskan ke instansi tersebut."),
    ("dlhkp", "Jadwal angkut sampah",
     "Terima kasih atas laporannya. Armada pengangkut sampah dijadwalkan ke lokasi paling lambat besok pagi."),
)
