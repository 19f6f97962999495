"""Simulated WeChat users: nicknames, phone numbers, devices and networks that look real."""

from __future__ import annotations

import random
import string

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬浩宇轩子涵欣怡梓萱一诺晨阳思远佳琪雨桐俊熙语嫣博文可馨天佑若曦"
ADJECTIVES = [
    "快乐的",
    "爱吃西瓜的",
    "会飞的",
    "安静的",
    "努力的",
    "迷路的",
    "不睡觉的",
    "想去海边的",
    "温柔的",
    "勇敢的",
]
NOUNS = ["小鱼", "猫", "兔子", "橘子", "星星", "柠檬", "咸鱼", "熊猫", "奶茶", "云朵", "少年", "阿狸"]
SINGLE = [
    "阿杰",
    "小雨",
    "晴天",
    "木子",
    "大米",
    "糖糖",
    "阿宝",
    "老王",
    "七七",
    "一一",
    "小鹿",
    "安然",
    "初心",
    "南风",
    "北北",
]
LATIN = ["Lucky", "Cici", "Kevin", "Annie", "Jason", "Momo", "Vivian", "Leo", "Sunny", "Coco", "Tony", "Ella"]
EMOJI = ["🌸", "🍀", "😎", "🐱", "🌙", "☀️", "🍓", "🎈", "✨", "🐼", "🌈", "🍵"]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "170",
    "173",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "195",
    "198",
    "199",
]
# Mobile carriers' ranges, as a mini-program's users mostly come in over 4G/5G.
NETWORKS = ["223.104", "117.136", "183.192", "112.96", "36.112", "120.229", "39.144", "111.55", "114.86", "27.38"]
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/{wechat}(0x1800{build}) NetType/{net} Language/zh_CN"
)
ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android {android}; {model} Build/{build}; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/{chrome} Mobile Safari/537.36 XWEB/{xweb} MMWEBSDK/20240404 MMWEBID/{mmid} "
    "MicroMessenger/{wechat}.2640(0x28003{build2}) WeChat/arm64 Weixin NetType/{net} Language/zh_CN ABI/arm64 "
    "MiniProgramEnv/android"
)
ANDROID_MODELS = ["V2309A", "PHB110", "23049RAD8C", "ALN-AL00", "CPH2451", "M2012K11AC", "NOH-AN00", "PGT-AN10"]
WECHAT_VERSIONS = ["8.0.47", "8.0.48", "8.0.49", "8.0.50", "8.0.51"]


def nickname(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.22:
        return None  # never filled in the avatar/nickname form
    if roll < 0.50:
        return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
    if roll < 0.66:
        return rng.choice(ADJECTIVES) + rng.choice(NOUNS)
    if roll < 0.78:
        return rng.choice(SINGLE) + (rng.choice(EMOJI) if rng.random() < 0.5 else "")
    if roll < 0.90:
        name = rng.choice(LATIN)
        return name + rng.choice(["", "_", "."]) + str(rng.randint(1, 99)) if rng.random() < 0.4 else name
    return rng.choice(EMOJI) + " " + rng.choice(SINGLE + NOUNS)


def wechat_id(rng: random.Random, prefix: str = "o") -> str:
    """openid/unionid-shaped: 28 characters of [A-Za-z0-9_-] after an "o"."""
    return prefix + "".join(rng.choices(string.ascii_letters + string.digits + "-_", k=27))


def mobile(rng: random.Random) -> tuple[str, str]:
    """(country code, pure number): mostly mainland numbers, a few from Hong Kong and abroad."""
    roll = rng.random()
    if roll < 0.95:
        return "86", rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    if roll < 0.98:
        return "852", rng.choice("569") + f"{rng.randrange(10**7):07d}"
    return "1", f"{rng.randint(201, 989)}{rng.randrange(10**7):07d}"


def ip(rng: random.Random) -> str:
    return f"{rng.choice(NETWORKS)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def user_agent(rng: random.Random) -> str:
    net = rng.choice(["WIFI", "WIFI", "5G", "4G"])
    wechat = rng.choice(WECHAT_VERSIONS)
    if rng.random() < 0.45:
        ios = rng.choice(["16_7_8", "17_4_1", "17_5_1", "18_0", "18_1_1"])
        return IPHONE_UA.format(ios=ios, wechat=wechat, build=f"{rng.randint(3000, 3299):04x}", net=net)
    return ANDROID_UA.format(
        android=rng.choice([12, 13, 14]),
        model=rng.choice(ANDROID_MODELS),
        build=rng.choice(["TP1A.220624.014", "UP1A.231005.007", "UKQ1.230917.001"]),
        chrome=rng.choice(["116.0.5845.114", "122.0.6261.120"]),
        xweb=rng.choice(["1300145", "1300259"]),
        mmid=rng.randint(1000, 9999),
        wechat=wechat,
        build2=rng.randint(100, 999),
        net=net,
    )


def avatar_url(rng: random.Random) -> str | None:
    if rng.random() < 0.35:
        return None
    return "https://thirdwx.qlogo.cn/mmopen/vi_32/" + "".join(rng.choices(string.ascii_letters + string.digits, k=60)) + "/132"
