"""Realistic-looking customers for the seed: names, mobile numbers, Shenzhen addresses.

All invented: any resemblance to a real person or number is chance. Only `random.Random`
instances passed in are used, so the same seed gives the same people.
"""
from __future__ import annotations

import random
from typing import Tuple

# Weighted towards the surnames most common in Guangdong.
_SURNAME_WEIGHTS = (
    ("陈", 8), ("李", 7), ("黄", 6), ("张", 6), ("梁", 4), ("林", 4), ("刘", 4), ("吴", 3), ("罗", 3),
    ("杨", 3), ("何", 3), ("郑", 3), ("王", 3), ("周", 2), ("谢", 2), ("钟", 2), ("曾", 2), ("赖", 2),
    ("邓", 2), ("叶", 2), ("朱", 1), ("徐", 1), ("孙", 1), ("马", 1), ("胡", 1), ("郭", 1), ("高", 1),
    ("彭", 1), ("蔡", 1), ("潘", 1), ("卢", 1), ("冯", 1), ("许", 1), ("苏", 1), ("袁", 1), ("温", 1),
    ("余", 1), ("廖", 1), ("丘", 1), ("方", 1), ("欧阳", 1),
)
SURNAME_LIST = tuple(name for name, weight in _SURNAME_WEIGHTS for _ in range(weight))
GIVEN_NAMES = (
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "辉", "鹏", "华", "飞", "波",
    "浩", "凯", "健", "俊", "宇", "旭", "龙", "阳", "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞",
    "婷", "雪", "慧", "颖", "琳", "建华", "建国", "志强", "志明", "国强", "海涛", "晓东", "文博",
    "子轩", "浩然", "宇航", "家豪", "俊杰", "嘉欣", "秀英", "玉兰", "桂英", "丽娟", "晓燕", "欣怡",
    "梓涵", "诗涵", "雨桐", "佳怡", "淑华", "美玲", "永强", "锦辉", "少华", "振华", "瑞琪", "泽楠",
)
BUSINESS_BRANDS = ("鹏城", "华强", "南海", "金港", "新锐", "鸿发", "顺达", "百佳", "嘉禾", "海岸", "星河", "粤兴")
BUSINESS_KINDS = (
    "便利店", "茶餐厅", "五金商行", "电子科技有限公司", "服装店", "汽车维修中心", "印刷厂", "大药房",
    "生鲜超市", "餐饮管理有限公司", "物流有限公司", "美容美发店",
)
ESTATE_PREFIXES = (
    "锦绣", "阳光", "翠竹", "碧海", "金色", "华侨", "海滨", "荔景", "百花", "御景", "东方", "星海",
    "万象", "和平", "幸福", "天安", "桃源", "彩虹", "金域", "丽晶",
)
ESTATE_SUFFIXES = ("花园", "新村", "小区", "苑", "公寓", "家园", "名苑", "雅居")
ROAD_WORDS = ("振兴", "建设", "人民", "滨河", "红荔", "新城", "创业", "前进", "文化", "工业", "学府", "环城")
ROAD_SUFFIXES = ("路", "路", "大道", "街")
VILLAGE_WORDS = ("坑背", "水头", "新屋", "上围", "下沙", "王母", "西涌", "东山", "岭澳", "溪涌")

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "198", "199",
)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAME_LIST) + rng.choice(GIVEN_NAMES)


def business_name(rng: random.Random, district: str) -> str:
    city = "深圳市" if rng.random() < 0.6 else district
    return f"{city}{rng.choice(BUSINESS_BRANDS)}{rng.choice(BUSINESS_KINDS)}"


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"


def _short(street: str) -> str:
    return street[:-2] if street.endswith("街道") and len(street) > 3 else street


def _road(rng: random.Random, street: str) -> str:
    word = _short(street) if rng.random() < 0.4 else rng.choice(ROAD_WORDS)
    return f"{word}{rng.choice(ROAD_SUFFIXES)}{rng.randint(1, 388)}号"


def home_address(rng: random.Random, district: str, street: str, area_type: str) -> Tuple[str, str]:
    """(full address, estate or village): urban flats, village houses outside the city."""
    if area_type != "urban" and rng.random() < 0.7:
        village = f"{rng.choice(VILLAGE_WORDS)}村"
        return f"{district}{street}{village}{rng.randint(1, 12)}巷{rng.randint(1, 60)}号", village
    estate = rng.choice(ESTATE_PREFIXES) + rng.choice(ESTATE_SUFFIXES)
    building, floor, room = rng.randint(1, 18), rng.randint(2, 32), rng.randint(1, 8)
    return f"{district}{street}{_road(rng, street)}{estate}{building}栋{floor}{room:02d}室", estate


def shop_address(rng: random.Random, district: str, street: str) -> str:
    return f"{district}{street}{_road(rng, street)}{rng.randint(1, 30)}号商铺"
