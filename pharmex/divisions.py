"""Administrative divisions (GB/T 2260) a regulator's jurisdiction names (SPEC §7a): province codes, and the city
and county codes of Hainan, where the platform trades.

An organisation records its province as a code (`province_code`) and its city or county as the name it goes by
(`city_county`, e.g. 海口市; a district such as 海口市龙华区 lies in its city). A jurisdiction code ending in 0000
is a province; any other is one of `CITY_COUNTY_CODES`, and covers the organisations of its province whose
`city_county` is its name (or starts with it: a district of the city) or the code itself.
"""

from __future__ import annotations

# Hainan's prefecture-level cities (4601–4604) and the county-level cities and counties directly under the
# province (4690xx), with the names organisations record.
CITY_COUNTY_CODES: dict[str, str] = {
    "460100": "海口市",
    "460200": "三亚市",
    "460300": "三沙市",
    "460400": "儋州市",
    "469001": "五指山市",
    "469002": "琼海市",
    "469005": "文昌市",
    "469006": "万宁市",
    "469007": "东方市",
    "469021": "定安县",
    "469022": "屯昌县",
    "469023": "澄迈县",
    "469024": "临高县",
    "469025": "白沙黎族自治县",
    "469026": "昌江黎族自治县",
    "469027": "乐东黎族自治县",
    "469028": "陵水黎族自治县",
    "469029": "保亭黎族苗族自治县",
    "469030": "琼中黎族苗族自治县",
}


def is_province(code: str) -> bool:
    return len(code) == 6 and code.endswith("0000")


def province_of(code: str) -> str:
    """The province code of a division code (460100 → 460000)."""
    return f"{code[:2]}0000"


def city_county_covers(code: str, province_code: str, city_county: str) -> bool:
    """A city/county jurisdiction code covers an organisation of this province and city/county."""
    name = CITY_COUNTY_CODES.get(code)
    if name is None or province_code != province_of(code):
        return False
    return city_county == code or city_county.startswith(name)


def division_codes_of(province_code: str, city_county: str) -> list[str]:
    """The division codes an organisation lies in: its province, and its Hainan city or county when its
    `city_county` names one (or is its code)."""
    return [province_code] + [
        code for code in sorted(CITY_COUNTY_CODES) if city_county_covers(code, province_code, city_county or "")
    ]
