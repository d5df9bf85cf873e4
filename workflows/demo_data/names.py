"""Factory types and names: invented words, or names in the country's language or script, always
marked "(demo)".
"""

from __future__ import annotations

import random


FACTORY_TYPES = (("APPAREL", 0.70), ("FOOTWEAR", 0.10), ("TEXTILE", 0.09), ("ACCESSORIES", 0.06),
                 ("OTHER", 0.05))

NAME_ONSETS = ("Zan", "Mor", "Kel", "Vi", "Tor", "Lu", "Qua", "Bel", "Sor", "Fen", "Ari", "Dro", "Pel",
               "Xe", "Nor", "Cal", "Ves", "Ol", "Tam", "Ru", "Gri", "Hal", "Jor", "Yb")
NAME_MIDDLES = ("a", "e", "i", "o", "ar", "en", "il", "or", "u", "")
NAME_ENDINGS = ("dex", "vina", "tro", "lan", "mira", "vet", "ssa", "ton", "rix", "vale", "nor", "bis",
                "quin", "delle")

ENGLISH_SUFFIXES = {
    "APPAREL": ("Garments Ltd", "Apparel Co., Ltd", "Fashion Ltd", "Knitwear Ltd", "Sportswear Co."),
    "FOOTWEAR": ("Footwear Co., Ltd", "Shoes Ltd"),
    "TEXTILE": ("Textile Mills Ltd", "Knitting & Dyeing Ltd"),
    "ACCESSORIES": ("Accessories Ltd", "Bags & Trims Co."),
    "OTHER": ("Industries Ltd", "Manufacturing Co."),
}
INDONESIAN_WORDS = {
    "APPAREL": ("Garmen", "Busana", "Konveksi"),
    "FOOTWEAR": ("Sepatu",),
    "TEXTILE": ("Tekstil",),
    "ACCESSORIES": ("Aksesoris",),
    "OTHER": ("Industri",),
}

# Names in the country's language or script, so accent-insensitive and non-Latin search can be
# tried: (chance a factory of that country gets one, {type: prefixes}, names). A prefix with
# "{}" wraps the name; otherwise it goes in front of it.
LOCAL_NAMES = {
    "VN": (0.35,
           {"APPAREL": ("Dệt May", "May Mặc"), "TEXTILE": ("Dệt May",), "FOOTWEAR": ("Giày Da",),
            "ACCESSORIES": ("Phụ Liệu May",)},
           ("Sông Xanh", "Đồi Mây", "Biển Ngọc", "Trúc Xanh", "Phượng Hồng", "Mây Trắng", "Ánh Dương",
            "Lúa Vàng", "Sóng Bạc", "Cầu Vồng", "Hạt Ngọc", "Gió Nồm", "Đèn Lồng", "Bèo Tím")),
    "NI": (0.5,
           {"APPAREL": ("Confecciones",), "TEXTILE": ("Textiles",), "FOOTWEAR": ("Calzado",),
            "ACCESSORIES": ("Accesorios",), "OTHER": ("Industrias",)},
           ("Niño", "Río Añil", "Cañaveral", "Peñón Azul", "Colibrí", "Garza Morena", "Jícaro",
            "Montaña Dorada", "Guardabarranco", "Señora del Lago")),
    "HT": (0.5,
           {"APPAREL": ("Couture", "Confection"), "TEXTILE": ("Textiles",), "ACCESSORIES": ("Accessoires",)},
           ("Étoile du Nord", "Lumière Bleue", "Côte Dorée", "Flamboyant", "Hirondelle", "Mornes Verts",
            "Perle des Îles", "Caféier", "Frégate")),
    "BD": (0.1,
           {"APPAREL": ("{} পোশাক শিল্প",)},
           ("নীল নদী", "সোনালী তারা", "সবুজ পাতা", "রূপালী ঢেউ", "লাল শাপলা")),
    "JO": (0.15,
           {"APPAREL": ("مصنع {} للألبسة",)},
           ("النسيم", "الواحة الزرقاء", "النخلة الذهبية", "الياسمين")),
}


def _invented_word(rng: random.Random) -> str:
    onset, middle, ending = rng.choice(NAME_ONSETS), rng.choice(NAME_MIDDLES), rng.choice(NAME_ENDINGS)
    if middle[:1] == onset[-1:]:
        middle = ""  # "Grii..." reads as a typo
    return (onset + middle + ending).capitalize()


def _local_name(rng: random.Random, country: str, factory_type: str) -> str | None:
    local = LOCAL_NAMES.get(country)
    if local is None:
        return None
    chance, prefixes, names = local
    if factory_type not in prefixes or rng.random() >= chance:
        return None
    prefix, name = rng.choice(prefixes[factory_type]), rng.choice(names)
    core = prefix.format(name) if "{}" in prefix else f"{prefix} {name}"
    return f"{core} (demo)"


def _latin_name(rng: random.Random, country: str, factory_type: str) -> str:
    word = _invented_word(rng)
    if country == "ID":
        return f"PT {word} {rng.choice(INDONESIAN_WORDS[factory_type])} (demo)"
    if rng.random() < 0.3:
        word = f"{word} {_invented_word(rng)}"
    return f"{word} {rng.choice(ENGLISH_SUFFIXES[factory_type])} (demo)"


def _factory_name(rng: random.Random, country: str, factory_type: str, taken: set[str]) -> str:
    # Local names come from short lists: once they are used up, fall back to invented words.
    name = _local_name(rng, country, factory_type)
    while name is None or name in taken:
        name = _latin_name(rng, country, factory_type)
    taken.add(name)
    return name
