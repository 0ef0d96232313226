from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    MANUFACTURER = "manufacturer", _("Manufacturer")
    DISTRIBUTOR = "distributor", _("Distributor")
    HOSPITAL = "hospital", _("Hospital")
    PHARMACY = "pharmacy", _("Pharmacy")
    CLINIC = "clinic", _("Clinic")


# GB/T 2260: the Hainan Free Trade Port is the whole province (SPEC §4a).
HAINAN_PROVINCE = "460000"

SUPPLIER_KINDS = frozenset({OrganizationKind.MANUFACTURER, OrganizationKind.DISTRIBUTOR})
BUYER_KINDS = frozenset(
    {OrganizationKind.DISTRIBUTOR, OrganizationKind.HOSPITAL, OrganizationKind.PHARMACY, OrganizationKind.CLINIC}
)
# Medical institutions (医疗机构): hospitals, and clinics including 乡镇卫生院 and 社区卫生服务中心. They state their
# ownership, and the public ones buy at or below the procurement ceiling (SPEC §3, §4).
MEDICAL_INSTITUTION_KINDS = frozenset({OrganizationKind.HOSPITAL, OrganizationKind.CLINIC})


# Buyers whose first purchase from a supplier, and of a supplier's drug, waits for their quality staff's
# approval (首营企业/首营品种审核) unless they switch it off: GSP binds wholesalers and retail pharmacies to it, and
# hospitals review suppliers under the same rules (医疗机构药品监督管理办法); clinics buy too little and too
# rarely for it to be the default (SPEC §3; the API guide's first-business chapter).
FIRST_BUSINESS_REVIEW_KINDS = frozenset(
    {OrganizationKind.HOSPITAL, OrganizationKind.DISTRIBUTOR, OrganizationKind.PHARMACY}
)


class Ownership(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class OrganizationStatus(models.TextChoices):
    PENDING = "pending", _("Pending verification")  # registered, not yet checked by platform staff
    VERIFIED = "verified", _("Verified")  # may trade while it also holds a valid trading licence
    SUSPENDED = "suspended", _("Suspended")  # stopped by platform staff; reinstate returns to verified


class LicenseType(models.TextChoices):
    DRUG_MANUFACTURING = "drug_manufacturing", _("Drug manufacturing licence (药品生产许可证)")
    DRUG_WHOLESALE = "drug_wholesale", _("Drug wholesale licence (药品经营许可证·批发)")
    DRUG_RETAIL = "drug_retail", _("Drug retail licence (药品经营许可证·零售)")
    MEDICAL_INSTITUTION = "medical_institution", _("Medical institution licence (医疗机构执业许可证)")
    BUSINESS = "business", _("Business licence (营业执照)")


# The licence that lets each kind of organisation trade drugs (SPEC §3).
TRADING_LICENSE_FOR_KIND = {
    OrganizationKind.MANUFACTURER: LicenseType.DRUG_MANUFACTURING,
    OrganizationKind.DISTRIBUTOR: LicenseType.DRUG_WHOLESALE,
    OrganizationKind.PHARMACY: LicenseType.DRUG_RETAIL,
    OrganizationKind.HOSPITAL: LicenseType.MEDICAL_INSTITUTION,
    OrganizationKind.CLINIC: LicenseType.MEDICAL_INSTITUTION,
}


class LicenseStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ScopeTag(models.TextChoices):
    CHEMICAL = "chemical", _("Chemical drugs")
    TCM = "tcm", _("Traditional Chinese medicine")
    TCM_DECOCTION = "tcm_decoction", _("TCM decoction pieces")
    BIOLOGICS = "biologics", _("Biological products")
    COLD_CHAIN = "cold_chain", _("Cold-chain drugs")
    RX = "rx", _("Prescription drugs")
    OTC = "otc", _("Over-the-counter drugs")
    # The restricted classes (SPEC §4): a buyer needs the matching scope to buy them.
    ANABOLIC_AGENT = "anabolic_agent", _("Anabolic agents (蛋白同化制剂)")
    PEPTIDE_HORMONE = "peptide_hormone", _("Peptide hormones (肽类激素)")
    PREGNANCY_TERMINATION = "pregnancy_termination", _("Pregnancy termination drugs (终止妊娠药品)")


class ReverificationStatus(models.TextChoices):
    OPEN = "open", _("Open")  # due: platform staff review the organisation's documents again
    PASSED = "passed", _("Passed")  # the organisation is verified again (and restored if it was suspended for this)
    FAILED = "failed", _("Failed")  # the organisation is suspended with the reviewer's reason


class MemberRole(models.TextChoices):
    OWNER = "owner", _("Owner")  # everything, including members and API keys
    OPERATOR = "operator", _("Operator")  # offers and orders
    FINANCE = "finance", _("Finance")  # payments, settlements, ledger
    QUALITY = "quality", _("Quality")  # first-business reviews (首营), documents, receipt checks
    VIEWER = "viewer", _("Viewer")  # read only


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # sent; nothing has changed for the invitee yet
    ACCEPTED = "accepted", _("Accepted")  # the invitee accepted: the membership exists
    REVOKED = "revoked", _("Revoked")  # withdrawn by an owner (or replaced by a newer invitation)
    EXPIRED = "expired", _("Expired")  # past expires_at (the API shows a pending one past it as expired)


# Province-level divisions of GB/T 2260 (the province code of an organisation).
PROVINCE_CODES = {
    "110000": "北京市",
    "120000": "天津市",
    "130000": "河北省",
    "140000": "山西省",
    "150000": "内蒙古自治区",
    "210000": "辽宁省",
    "220000": "吉林省",
    "230000": "黑龙江省",
    "310000": "上海市",
    "320000": "江苏省",
    "330000": "浙江省",
    "340000": "安徽省",
    "350000": "福建省",
    "360000": "江西省",
    "370000": "山东省",
    "410000": "河南省",
    "420000": "湖北省",
    "430000": "湖南省",
    "440000": "广东省",
    "450000": "广西壮族自治区",
    "460000": "海南省",
    "500000": "重庆市",
    "510000": "四川省",
    "520000": "贵州省",
    "530000": "云南省",
    "540000": "西藏自治区",
    "610000": "陕西省",
    "620000": "甘肃省",
    "630000": "青海省",
    "640000": "宁夏回族自治区",
    "650000": "新疆维吾尔自治区",
    "710000": "台湾省",
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
}
PROVINCE_CODE_LIST = sorted(PROVINCE_CODES)  # the choice set of province fields (one schema enum)
