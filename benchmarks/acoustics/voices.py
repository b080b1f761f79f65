"""Second voices in the room: a co-host (助播) talking over the host, and vocals over the music.

The lines are one small pool of generic, compliant 助播 chatter (no claims), written for this
benchmark. Each line is voiced once per voice with :class:`monitor.demo.tts.MandarinTTS` and kept
as 16 kHz int16 ``.npy`` under ``<cache>/room_voices/<POOL_VERSION>-<voice>/<sha1>.npy``, the way
the claims audio is cached. :func:`chatter` strings lines together (short gaps, a random first
line and start point) into a track as long as asked, deterministically for a seed.
"""

from __future__ import annotations

import hashlib

import numpy as np

from monitor.demo.tts import MandarinTTS
from monitor.engines.cache import cache_dir

__all__ = [
    "COHOST_LINES",
    "COHOST_VOICE",
    "POOL_VERSION",
    "VOCALS_LINES",
    "VOCALS_VOICE",
    "chatter",
    "voice_pool",
    "voiced_line",
]

POOL_VERSION = "pool1"
"""Names the pool and the TTS; change it when a line or :class:`MandarinTTS` changes."""
COHOST_VOICE = "jf_alpha"
"""The co-host's voice (the host is ``jm_kumo``)."""
VOCALS_VOICE = "jf_nezumi"
"""The voice singing over the backing track."""

COHOST_LINES = (
    "对对对，主播说得没错。",
    "三号链接已经上好了，大家可以去看看。",
    "拍下的宝宝记得备注一下尺码。",
    "后台客服一直在线，有问题可以问。",
    "我来给大家看一下细节。",
    "左边这个是米白色，右边是燕麦色。",
    "好的，我去后台看一下库存。",
    "宝宝们点点关注，不迷路。",
    "这个颜色上身很显白的。",
    "刚刚问发货时间的宝宝，四十八小时内发。",
    "来，镜头再拉近一点。",
    "我试一下给大家看看效果。",
    "主播喝口水，我先给大家讲两句。",
    "有没有想看黑色的，想看的扣个一。",
    "尺码表在详情页里，可以对照一下。",
    "好的好的，马上给你们演示。",
    "这个是我们今天的第二个产品。",
    "大家可以先加购物车。",
    "欢迎刚进直播间的朋友们。",
    "有问题可以打在公屏上。",
    "我手上这个是中号的。",
    "收到了宝宝，我看一下。",
    "这个包装里面有两个小袋子。",
    "退换货的规则在商品页里写着。",
    "主播，后面有人问能不能放冰箱。",
    "可以的，冷藏保存就行。",
    "我把这个转过来给大家看背面。",
    "今天的福袋十分钟后开。",
    "点赞到一万我们就抽奖。",
    "大家看一下这个面料的厚度。",
    "我们继续讲下一个。",
    "这款有三个颜色可以选。",
    "刚才那位宝宝问的是四号链接。",
    "我去拿一下样品。",
    "主播，这个要不要讲一下用法？",
    "好，我来倒一杯给大家看看颜色。",
    "不着急，大家慢慢看。",
    "我们直播间每天晚上七点开播。",
    "谢谢宝宝送的小心心。",
    "这边是赠品，一起发出。",
)
"""Generic 助播 chatter: nothing here is a claim under the corpus's labelling rules."""
VOCALS_LINES = COHOST_LINES[24:]
"""The lines sung over the music: the last 16 of the pool, in the second voice (kept small: voicing is slow)."""


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def voiced_line(text: str, voice: str, tts: MandarinTTS | None = None) -> np.ndarray:
    """``text`` in ``voice``, float32 16 kHz, from the cache or voiced now and kept."""
    path = cache_dir("room_voices", f"{POOL_VERSION}-{voice}") / f"{_key(text)}.npy"
    if path.exists():
        return np.load(path).astype(np.float32) / 32767.0
    audio = (tts or MandarinTTS(voice)).synthesize(text)
    temporary = path.with_suffix(".tmp.npy")
    np.save(temporary, np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16))
    temporary.replace(path)
    return audio


def voice_pool(voice: str, lines: tuple[str, ...] = COHOST_LINES) -> list[np.ndarray]:
    """``lines`` in ``voice`` (voicing the missing ones once)."""
    tts = MandarinTTS(voice)
    return [voiced_line(text, voice, tts) for text in lines]


def chatter(
    pool: list[np.ndarray], samples: int, rng: np.random.Generator, gap: tuple[float, float] = (0.15, 0.6)
) -> np.ndarray:
    """``samples`` of lines from ``pool`` back to back (gaps drawn from ``gap`` s), starting inside a random line."""
    pieces: list[np.ndarray] = []
    have = 0
    order = rng.permutation(len(pool))
    first = pool[int(order[0])]
    skip = int(rng.integers(0, max(1, first.size // 2)))
    i = 0
    while have < samples:
        line = pool[int(order[i % len(order)])]
        if i == 0:
            line = line[skip:]
        silence = np.zeros(int(rng.uniform(*gap) * 16_000), np.float32)
        pieces += [line, silence]
        have += line.size + silence.size
        i += 1
    return np.concatenate(pieces)[:samples].astype(np.float32)
