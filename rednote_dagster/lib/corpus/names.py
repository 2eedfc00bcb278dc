"""Nicknames, bios and profile tags for the synthetic creators and commenters (all invented)."""

from __future__ import annotations

import random

FIRST = (
    "Jess",
    "Taylor",
    "Mike",
    "Ashley",
    "Chris",
    "Brittany",
    "Tyler",
    "Megan",
    "Jordan",
    "Kayla",
    "Josh",
    "Sam",
    "Alex",
    "Emily",
    "Hannah",
    "Brandon",
    "Olivia",
    "Marcus",
    "Destiny",
    "Kevin",
    "Rachel",
    "Andre",
    "Sophia",
    "Caleb",
    "Maddie",
    "Jasmine",
    "Dylan",
    "Lauren",
    "Nate",
    "Bri",
    "Zoe",
    "Eli",
    "Gabby",
    "Trey",
    "Kim",
    "Lily",
    "Derek",
    "Monica",
    "Ray",
    "Tori",
)
LAST_INITIAL = "ABCDEFGHJKLMNPRSTW"
US_STATES = (
    "Ohio",
    "Texas",
    "Florida",
    "Georgia",
    "Oregon",
    "Michigan",
    "Arizona",
    "Nevada",
    "Iowa",
    "Kentucky",
    "Alabama",
    "Colorado",
    "Vermont",
    "Utah",
    "Maine",
    "Idaho",
    "Kansas",
    "Jersey",
)
ADJ = ("sleepy", "happy", "spicy", "lazy", "tiny", "wild", "cozy", "salty", "lucky", "chill")
ANIMAL = ("panda", "otter", "cat", "frog", "bunny", "fox", "duck", "bear", "moth", "goose")
US_LOCATION_TAGS = ("美国", "美国", "美国", "美国加利福尼亚", "美国纽约", "美国得克萨斯", "美国佛罗里达", "美国俄亥俄")
AGE_TAGS = (None, None, None, "22岁", "25岁", "28岁", "31岁", "34岁", "白羊座", "双鱼座")
BIO_PARTS = (
    "TikTok refugee 🇺🇸",
    "learning Chinese 学中文",
    "cat mom 🐱",
    "dog dad",
    "nurse",
    "teacher",
    "artist",
    "small business owner",
    "mom of 3",
    "gamer",
    "college student",
    "chef",
    "musician",
    "here for the cat tax",
    "美国人",
    "hello from the US",
    "just vibing",
    "photographer",
    "bookworm 📚",
    "truck driver",
    "makeup artist",
    "veteran",
    "software dev",
    "plant lover 🌱",
)

NATIVE_ADJ = (
    "爱吃火锅的",
    "不吃香菜的",
    "会飞的",
    "努力搬砖的",
    "快乐的",
    "熬夜的",
    "追剧的",
    "减肥中的",
    "佛系",
    "元气",
)
NATIVE_NOUN = ("小猫", "柠檬", "土豆", "小鱼", "西瓜", "兔子", "奶茶", "饺子", "熊猫", "橘子", "团子", "小熊")
NATIVE_SHORT = ("小鱼", "阿杰", "晴天", "木子", "一一", "橙子", "七七", "阿花", "糖糖", "大壮")
CN_PROVINCES = (
    "广东",
    "广东",
    "上海",
    "上海",
    "北京",
    "北京",
    "浙江",
    "浙江",
    "四川",
    "江苏",
    "江苏",
    "湖北",
    "湖南",
    "山东",
    "福建",
    "河南",
    "重庆",
    "陕西",
    "天津",
    "辽宁",
    "云南",
    "安徽",
    "广西",
    "内蒙古",
)
FOREIGN_LOCATIONS = ("美国",) * 10 + ("英国", "加拿大", "加拿大", "澳大利亚", "德国", "新西兰", "爱尔兰")


def creator_nickname(rng: random.Random) -> str:
    first = rng.choice(FIRST)
    pattern = rng.randrange(9)
    if pattern == 0:
        return first
    if pattern == 1:
        return f"{first}_{rng.choice(LAST_INITIAL)}"
    if pattern == 2:
        return f"{first.lower()}{rng.randrange(10, 2000)}"
    if pattern == 3:
        return f"{first} in {rng.choice(US_STATES)}"
    if pattern == 4:
        return f"{rng.choice(ADJ)}{rng.choice(ANIMAL)}{rng.randrange(1, 99)}"
    if pattern == 5:
        return f"{first} 🇺🇸"
    if pattern == 6:
        return f"美国{first}"
    if pattern == 7:
        return f"{first}的小红书"
    return f"{first}.{rng.choice(LAST_INITIAL).lower()}"


def creator_bio(rng: random.Random) -> str:
    return " | ".join(rng.sample(BIO_PARTS, rng.randint(1, 3)))


def native_nickname(rng: random.Random) -> str:
    pattern = rng.randrange(5)
    if pattern <= 1:  # the app's default name for new accounts
        return f"小红薯{rng.getrandbits(32):08X}"
    if pattern == 2:
        return rng.choice(NATIVE_SHORT)
    return rng.choice(NATIVE_ADJ) + rng.choice(NATIVE_NOUN)


def foreign_nickname(rng: random.Random) -> str:
    return creator_nickname(rng)
