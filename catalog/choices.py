from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class DrugType(models.TextChoices):
    CHEMICAL = "chemical", _("Chemical drug (化学药品)")
    TCM = "tcm", _("Chinese patent medicine (中成药)")
    TCM_DECOCTION = "tcm_decoction", _("TCM decoction pieces (中药饮片)")
    BIOLOGIC = "biologic", _("Biological product (生物制品)")
    VACCINE = "vaccine", _("Vaccine (疫苗)")
    BLOOD_PRODUCT = "blood_product", _("Blood product (血液制品)")
    INSTITUTION_PREPARATION = "institution_preparation", _("Medical institution preparation (医疗机构制剂)")
    TCM_FORMULA_GRANULE = "tcm_formula_granule", _("TCM formula granules (中药配方颗粒)")


class DrugCategory(models.TextChoices):
    RX = "rx", _("Prescription (处方药)")
    OTC_A = "otc_a", _("OTC class A (甲类非处方药)")
    OTC_B = "otc_b", _("OTC class B (乙类非处方药)")


class SpecialClass(models.TextChoices):
    NONE = "none", _("None")
    NARCOTIC = "narcotic", _("Narcotic (麻醉药品)")
    PSYCHOTROPIC_I = "psychotropic_i", _("Psychotropic class I (第一类精神药品)")
    PSYCHOTROPIC_II = "psychotropic_ii", _("Psychotropic class II (第二类精神药品)")
    TOXIC = "toxic", _("Medical toxic (医疗用毒性药品)")
    RADIOACTIVE = "radioactive", _("Radioactive (放射性药品)")
    PRECURSOR = "precursor", _("Precursor chemical (药品类易制毒化学品)")


class RestrictedClass(models.TextChoices):
    """Classes the law restricts to some buyers (SPEC §4): the gate refuses them with their own reason codes."""

    NONE = "none", _("None")
    ANABOLIC_AGENT = "anabolic_agent", _("Anabolic agent (蛋白同化制剂)")
    # Insulin is a peptide but not one of the 肽类激素 the rules restrict: classify it as `none`.
    PEPTIDE_HORMONE = "peptide_hormone", _("Peptide hormone, insulin excepted (肽类激素)")
    PREGNANCY_TERMINATION = "pregnancy_termination", _("Pregnancy termination drug (终止妊娠药品)")
    EPHEDRINE_COMPOUND = "ephedrine_compound", _("Ephedrine compound preparation (含麻黄碱类复方制剂)")


class SimplifiedVatClass(models.TextChoices):
    """Why a drug may be sold under 3% simplified VAT (简易计税), when its supplier elects it."""

    NONE = "", _("Not eligible")
    BIOLOGIC = "biologic", _("Biological product (财税〔2014〕57号)")
    ANTICANCER = "anticancer", _("Anticancer drug (财税〔2018〕47号)")
    RARE_DISEASE = "rare_disease", _("Rare-disease drug (财税〔2019〕24号)")


class Storage(models.TextChoices):
    AMBIENT = "ambient", _("Ambient (常温)")
    COOL = "cool", _("Cool, below 20 °C (阴凉)")
    COLD_CHAIN = "cold_chain", _("Cold chain 2-8 °C (冷藏)")
    FROZEN = "frozen", _("Frozen (冷冻)")


class NrdlClass(models.TextChoices):
    A = "a", _("Class A (甲类)")
    B = "b", _("Class B (乙类)")


class DosageForm(models.TextChoices):
    """The controlled list of dosage forms (剂型); the label is the Chinese term imports are matched on."""

    TABLET = "tablet", "片剂"
    CAPSULE = "capsule", "胶囊剂"
    GRANULE = "granule", "颗粒剂"
    INJECTION = "injection", "注射剂"
    POWDER_FOR_INJECTION = "powder_for_injection", "注射用无菌粉末"
    ORAL_SOLUTION = "oral_solution", "口服溶液剂"
    SYRUP = "syrup", "糖浆剂"
    SUSPENSION = "suspension", "混悬剂"
    EMULSION = "emulsion", "乳剂"
    PILL = "pill", "丸剂"
    POWDER = "powder", "散剂"
    OINTMENT = "ointment", "软膏剂"
    CREAM = "cream", "乳膏剂"
    GEL = "gel", "凝胶剂"
    PATCH = "patch", "贴剂"
    PLASTER = "plaster", "贴膏剂"
    SUPPOSITORY = "suppository", "栓剂"
    EYE_DROPS = "eye_drops", "滴眼剂"
    EAR_DROPS = "ear_drops", "滴耳剂"
    NASAL_SPRAY = "nasal_spray", "鼻用制剂"
    INHALATION = "inhalation", "吸入制剂"
    SPRAY = "spray", "喷雾剂"
    AEROSOL = "aerosol", "气雾剂"
    TINCTURE = "tincture", "酊剂"
    LINIMENT = "liniment", "搽剂"
    MIXTURE = "mixture", "合剂"
    DECOCTION_PIECE = "decoction_piece", "饮片"
    API = "api", "原料药"
    OTHER = "other", "其他"


# Free-text forms seen in NMPA data → the controlled value (checked in order, first match wins).
DOSAGE_FORM_ALIASES: list[tuple[str, str]] = [
    ("冻干", DosageForm.POWDER_FOR_INJECTION),
    ("注射用", DosageForm.POWDER_FOR_INJECTION),
    ("注射", DosageForm.INJECTION),
    ("输液", DosageForm.INJECTION),
    ("胶囊", DosageForm.CAPSULE),
    ("颗粒", DosageForm.GRANULE),
    ("口服液", DosageForm.ORAL_SOLUTION),
    ("口服溶液", DosageForm.ORAL_SOLUTION),
    ("糖浆", DosageForm.SYRUP),
    ("混悬", DosageForm.SUSPENSION),
    ("乳膏", DosageForm.CREAM),
    ("软膏", DosageForm.OINTMENT),
    ("凝胶", DosageForm.GEL),
    ("贴膏", DosageForm.PLASTER),
    ("贴", DosageForm.PATCH),
    ("栓", DosageForm.SUPPOSITORY),
    ("滴眼", DosageForm.EYE_DROPS),
    ("眼用", DosageForm.EYE_DROPS),
    ("滴耳", DosageForm.EAR_DROPS),
    ("鼻", DosageForm.NASAL_SPRAY),
    ("吸入", DosageForm.INHALATION),
    ("气雾", DosageForm.AEROSOL),
    ("喷雾", DosageForm.SPRAY),
    ("酊", DosageForm.TINCTURE),
    ("搽", DosageForm.LINIMENT),
    ("合剂", DosageForm.MIXTURE),
    ("丸", DosageForm.PILL),
    ("散", DosageForm.POWDER),
    ("乳", DosageForm.EMULSION),
    ("饮片", DosageForm.DECOCTION_PIECE),
    ("原料", DosageForm.API),
    ("片", DosageForm.TABLET),
]


def dosage_form_from_text(text: str) -> str | None:
    """Map a dosage form as written (a value, a label or free text such as 注射剂(冻干)) to DosageForm."""
    text = (text or "").strip()
    if text in DosageForm.values:
        return text
    for value, label in DosageForm.choices:
        if text == label:
            return value
    for fragment, value in DOSAGE_FORM_ALIASES:
        if fragment in text:
            return value
    return None


class DrugStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("Pending review")  # proposed by a supplier; not listable yet
    ACTIVE = "active", _("Active")  # approved master data; offers may list it
    WITHDRAWN = "withdrawn", _("Withdrawn")  # no new offers; existing ones drop out of the market


class ApprovalFormat(models.TextChoices):
    NMPA_2020 = "nmpa_2020", _("国药准字 (2020 rules): H/Z/S, optional C/J, year + sequence")
    NMPA_LEGACY = "nmpa_legacy", _("国药准字 (legacy): H/Z/S/J/B/T/F + 8 digits")
    IMPORT_LICENSE = "import_license", _("Import registration certificate (进口药品注册证 / 医药产品注册证)")


class OfferStatus(models.TextChoices):
    ACTIVE = "active", _("Active")  # on the market while the supplier may trade and the drug is active
    PAUSED = "paused", _("Paused")  # hidden by the supplier
    SUSPENDED = "suspended", _("Suspended")  # hidden by platform staff; only they lift it


class ImportKind(models.TextChoices):
    OFFERS = "offers", _("Supplier offers")
    DRUGS = "drugs", _("Drug master data")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")  # every row handled; some rows may still have failed
    FAILED = "failed", _("Failed")  # the file as a whole could not be read


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


# VAT rates an offer may carry: the general 13 %, 9 % for TCM decoction pieces (中药饮片),
# and the 3 % simplified method (简易计税) for an eligible drug (Drug.simplified_vat_class) whose supplier
# elected it for that drug (SimplifiedVatElection, locked for 36 months).
VAT_GENERAL = Decimal("0.13")
VAT_REDUCED = Decimal("0.09")
VAT_SIMPLIFIED = Decimal("0.03")
VAT_RATES = (VAT_GENERAL, VAT_REDUCED, VAT_SIMPLIFIED)
REDUCED_VAT_DRUG_TYPES = frozenset({DrugType.TCM_DECOCTION})
SIMPLIFIED_VAT_LOCK_MONTHS = 36  # 财税〔2014〕57号: once elected, not changed for 36 months

# Drug types without a 国药准字 number: decoction pieces mostly have none; institution preparations carry a
# provincial 制字 number and formula granules a 备案号, which are not approval numbers.
UNNUMBERED_DRUG_TYPES = frozenset({DrugType.TCM_DECOCTION, DrugType.INSTITUTION_PREPARATION,
                                   DrugType.TCM_FORMULA_GRANULE})  # fmt: skip

# Never sold over the network: 药品网络销售监督管理办法 art. 8 (vaccines, blood products, special-management
# classes) and the 药品网络销售禁止清单 (第一版) part 一 (institution preparations, formula granules).
NETWORK_BANNED_DRUG_TYPES = frozenset(
    {DrugType.VACCINE, DrugType.BLOOD_PRODUCT, DrugType.INSTITUTION_PREPARATION, DrugType.TCM_FORMULA_GRANULE}
)
NETWORK_BANNED_SPECIAL_CLASSES = frozenset(
    {
        SpecialClass.NARCOTIC,
        SpecialClass.PSYCHOTROPIC_I,
        SpecialClass.PSYCHOTROPIC_II,
        SpecialClass.TOXIC,
        SpecialClass.RADIOACTIVE,
        SpecialClass.PRECURSOR,
    }
)
COLD_STORAGE = frozenset({Storage.COLD_CHAIN, Storage.FROZEN})


class CustomsStatus(models.TextChoices):
    """Where goods stand at Hainan customs (SPEC §4a); it changes only forward (catalog.customs)."""

    DUTY_PAID = "duty_paid", _("Duty paid or domestic (完税)")
    ZERO_TARIFF = "zero_tariff", _("Zero-tariff import (零关税)")
    BONDED = "bonded", _("Bonded, not entered (保税)")
    LECHENG_SPECIAL = "lecheng_special", _("Special-licensed import for Boao Lecheng (特许药品)")
