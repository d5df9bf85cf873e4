"""Words shown to people beside the API's enum values, in the programme's languages.

GraphQL enum values cannot be translated, so every enum a person reads has a label field next
to it. Issue titles and descriptions come translated in the exports; these few labels are ours.
A language missing here falls back to English. The non-Latin-script labels (km, ar, bn) were
written for this project and want a review by native speakers before a launch.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "fr", "es", "vi", "id", "km", "ar", "bn")

LABELS: Mapping[str, Mapping[str, str]] = {
    # Clusters of the assessment tool.
    "CHILD_LABOUR": {
        "en": "Child labour", "fr": "Travail des enfants", "es": "Trabajo infantil", "vi": "Lao động trẻ em",
        "id": "Pekerja anak", "km": "ពលកម្មកុមារ", "ar": "عمل الأطفال", "bn": "শিশুশ্রম",
    },
    "FORCED_LABOUR": {
        "en": "Forced labour", "fr": "Travail forcé", "es": "Trabajo forzoso", "vi": "Lao động cưỡng bức",
        "id": "Kerja paksa", "km": "ពលកម្មដោយបង្ខំ", "ar": "العمل الجبري", "bn": "জবরদস্তিমূলক শ্রম",
    },
    "DISCRIMINATION": {
        "en": "Discrimination", "fr": "Discrimination", "es": "Discriminación", "vi": "Phân biệt đối xử",
        "id": "Diskriminasi", "km": "ការរើសអើង", "ar": "التمييز", "bn": "বৈষম্য",
    },
    "FREEDOM_OF_ASSOCIATION": {
        "en": "Freedom of association and collective bargaining",
        "fr": "Liberté syndicale et négociation collective",
        "es": "Libertad sindical y negociación colectiva",
        "vi": "Tự do hiệp hội và thương lượng tập thể",
        "id": "Kebebasan berserikat dan perundingan bersama",
        "km": "សេរីភាពសមាគម និងការចរចាររួម",
        "ar": "حرية تكوين الجمعيات والمفاوضة الجماعية",
        "bn": "সংগঠনের স্বাধীনতা ও যৌথ দর-কষাকষি",
    },
    "COMPENSATION": {
        "en": "Compensation", "fr": "Rémunération", "es": "Remuneración", "vi": "Tiền lương và phúc lợi",
        "id": "Pengupahan", "km": "ប្រាក់ឈ្នួល", "ar": "الأجور", "bn": "মজুরি ও ভাতা",
    },
    "CONTRACTS_AND_HUMAN_RESOURCES": {
        "en": "Contracts and human resources", "fr": "Contrats et ressources humaines",
        "es": "Contratos y recursos humanos", "vi": "Hợp đồng và quản lý nhân sự", "id": "Kontrak dan sumber daya manusia",
        "km": "កិច្ចសន្យា និងធនធានមនុស្ស", "ar": "العقود والموارد البشرية", "bn": "চুক্তি ও মানবসম্পদ",
    },
    "OCCUPATIONAL_SAFETY_AND_HEALTH": {
        "en": "Occupational safety and health", "fr": "Sécurité et santé au travail", "es": "Seguridad y salud en el trabajo",
        "vi": "An toàn và vệ sinh lao động", "id": "Keselamatan dan kesehatan kerja", "km": "សុវត្ថិភាព និងសុខភាពការងារ",
        "ar": "السلامة والصحة المهنية", "bn": "পেশাগত স্বাস্থ্য ও নিরাপত্তা",
    },
    "WORKING_TIME": {
        "en": "Working time", "fr": "Temps de travail", "es": "Tiempo de trabajo", "vi": "Thời giờ làm việc",
        "id": "Waktu kerja", "km": "ម៉ោងធ្វើការ", "ar": "ساعات العمل", "bn": "কর্মঘণ্টা",
    },
    # Finding statuses.
    "COMPLIANT": {
        "en": "Compliant", "fr": "Conforme", "es": "Cumple", "vi": "Tuân thủ", "id": "Patuh",
        "km": "អនុលោម", "ar": "ممتثل", "bn": "অনুবর্তী",
    },
    "NON_COMPLIANT": {
        "en": "Non-compliant", "fr": "Non conforme", "es": "No cumple", "vi": "Không tuân thủ", "id": "Tidak patuh",
        "km": "មិនអនុលោម", "ar": "غير ممتثل", "bn": "অননুবর্তী",
    },
    "NOT_ASSESSED": {
        "en": "Not assessed", "fr": "Non évalué", "es": "No evaluado", "vi": "Chưa đánh giá", "id": "Tidak dinilai",
        "ar": "لم يُقيَّم", "bn": "মূল্যায়ন করা হয়নি",
    },
    "GREEN": {"en": "No public non-compliance", "fr": "Aucune non-conformité publiée", "es": "Sin incumplimientos publicados",
              "vi": "Không có vi phạm được công bố", "id": "Tidak ada ketidakpatuhan yang dipublikasikan"},
    # Modalities.
    "ONSITE": {"en": "On-site assessment", "fr": "Évaluation sur site", "es": "Evaluación presencial",
               "vi": "Đánh giá tại nhà máy", "id": "Penilaian di lokasi", "ar": "تقييم ميداني"},
    "VIRTUAL": {"en": "Virtual compliance check", "fr": "Vérification virtuelle", "es": "Verificación virtual",
                "vi": "Kiểm tra từ xa", "id": "Pemeriksaan virtual", "ar": "فحص افتراضي"},
    "HYBRID": {"en": "Hybrid assessment", "fr": "Évaluation hybride", "es": "Evaluación híbrida",
               "vi": "Đánh giá kết hợp", "id": "Penilaian hibrida", "ar": "تقييم مختلط"},
    # Factory types.
    "APPAREL": {"en": "Apparel", "fr": "Habillement", "es": "Confección", "vi": "May mặc", "id": "Garmen", "ar": "ملابس"},
    "FOOTWEAR": {"en": "Footwear", "fr": "Chaussures", "es": "Calzado", "vi": "Giày dép", "id": "Alas kaki", "ar": "أحذية"},
    "TEXTILE": {"en": "Textile", "fr": "Textile", "es": "Textil", "vi": "Dệt", "id": "Tekstil", "ar": "منسوجات"},
    "ACCESSORIES": {"en": "Accessories", "fr": "Accessoires", "es": "Accesorios", "vi": "Phụ kiện", "id": "Aksesori", "ar": "إكسسوارات"},
    "OTHER": {"en": "Other", "fr": "Autre", "es": "Otro", "vi": "Khác", "id": "Lainnya", "ar": "أخرى"},
}


def label(value: str, language: str) -> str:
    texts = LABELS.get(value)
    if texts is None:
        return value.replace("_", " ").capitalize()
    return texts.get(language) or texts[DEFAULT_LANGUAGE]


# Every request negotiates; clients send few distinct headers.
@lru_cache(maxsize=512)
def negotiate_language(accept_language: str | None, explicit: str | None = None) -> str:
    """The language to answer in: an explicit `lang` wins, then the best of Accept-Language
    (RFC 9110 weights; `fr-CA` matches `fr`), then English."""
    if explicit:
        primary = explicit.strip().lower().split("-")[0]
        return primary if primary in LANGUAGES else DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE
