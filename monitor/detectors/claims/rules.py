"""Rule packs compiled for matching: one regex per rule, one prefilter per pack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.detectors.basis import citation
from monitor.detectors.claims.price import PriceMatcher
from monitor.detectors.claims.schema import Nearby, PackSpec, RuleSpec, read_pack
from monitor.errors import ConfigError
from monitor.text import normalise

__all__ = ["CompiledPack", "CompiledRule", "Near", "compile_pack", "load_pack"]

# Cues that the words after them are denied or quoted, not claimed: 不是最便宜的, 我们不说国家级.
NEGATIONS: tuple[str, ...] = (
    "(?<!是)不是", "并不是", "并非", "不说", "不敢说", "不能说", "不会说", "不可以说", "没说", "没有说", "别说",
    "不要说", "不叫", "不能叫", "不算", "算不上", "称不上", "谈不上", "不提", "不讲", "不宣传", "不能宣传",
    "不允许", "禁止", "不能用", "不属于", "不代表", "不一定", "不保证", "不承诺", "不敢保证", "不敢承诺", "没有什么",
    "没有任何", "不要", "不加", "不接受", "不支持", "不可能", "拒绝", "谨防", "小心",
)
# The same, said after the words: 顶级不顶级我不说, 无效退款这种话我不说.
_TRAILING_DENIAL = re.compile(r"^[^,]{0,8}?(?:不说|不敢说|不能说|不讲|不提|不承认)")
_NEGATION_LOOKBACK = 5
# A denial verb right before the words: 它不降血压, 没有治病的功效.
_ADJACENT_DENIAL = re.compile(r"(?:不|没|没有|别|从不|绝不|并不|也不|都不|从来不|从没)(?:做|卖|搞|碰|进)?$")
# Denied or doubted speech further back in the clause: 我不会跟你们说什么最后几单, 别指望它治什么病.
_DENIED_SPEECH = re.compile(
    r"(?:(?:不|没|别)(?:会|能|敢|要|用)?(?:跟|和|给|对|同)?[^,]{0,6}?(?:说|讲|吹)|别指望|不指望)"
    r"[^,]{0,4}$"
)
_SPEECH_LOOKBACK = 16
# The words said back as a question and denied in the next clause: 精仿? 我们不做精仿. 尾单? 不是.
_ECHO_DENIAL = re.compile(
    r"^(?:(?:不是|不对|没有)(?:的|啊|哦|呀)?(?:,|$)|不存在|不做|不卖|不碰|不加|(?:我们|咱们|咱|我|俺)(?:家)?(?:不|没|从不|可不))"
)
_ECHO_CLAUSE = 6
"""An echoed clause is short: the words and at most a few more characters."""
# Hearsay that the host then debunks: 网上说吃这个能抗癌的都是骗人的, 有人发二维码说进群领红包,别扫.
_HEARSAY = re.compile(
    r"(?:网上|有人|别人|评论区|弹幕|有宝宝|有粉丝|有家人|有朋友|视频里|外面)[^,]{0,10}?(?:说|问|发|传)"
)
_DEBUNK = re.compile(
    r"骗|谣言|别信|不要信|不可信|没有依据|没依据|别乱传|别扫|不要扫|别上当|不知道|不是真的|假消息|不说(?:这种|这样的|这些)话"
)
_VOCAB_REF = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True, slots=True)
class Near:
    """A pattern looked for within ``window`` characters of a hit, inside its clause."""

    pattern: re.Pattern[str]
    window: int

    def found(self, text: str, start: int, end: int) -> bool:
        lo = max(text.rfind(",", 0, start) + 1, start - self.window)
        stop = text.find(",", end)
        hi = min(len(text) if stop < 0 else stop, end + self.window)
        return self.pattern.search(text, lo, hi) is not None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    category: str
    risk: str
    confidence: float
    basis: str
    pattern: re.Pattern[str] | None
    pinyin_keywords: tuple[str, ...]
    price: PriceMatcher | None
    context: Near | None
    pinyin_context: Near | None
    exclude: Near | None
    negatable: bool
    spec: RuleSpec = field(repr=False)

    def matches(self, text: str) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """Candidate spans in the normalised text (before context checks)."""
        if self.pattern is not None:
            for m in self.pattern.finditer(text):
                if m.end() > m.start():
                    yield m.start(), m.end(), {}
        if self.price is not None:
            for p in self.price.find(text):
                yield p.start, p.end, {
                    "reference_price": p.reference_price,
                    "live_price": p.live_price,
                    "ratio": p.ratio,
                }


@dataclass(frozen=True, slots=True)
class CompiledPack:
    name: str
    path: Path
    version: str
    category: str
    basis: str
    rules: tuple[CompiledRule, ...]
    prefilter: re.Pattern[str]
    """Matches wherever any rule of the pack could match."""
    exclude: Near | None
    negation: re.Pattern[str]

    def negated(self, text: str, start: int, end: int) -> bool:
        """True when a negation cue stands just before the hit (or a denial just after), in the same clause.

        A rhetorical question (这不是全网最低价吗) is still a claim.
        """
        clause_start = text.rfind(",", 0, start) + 1
        lo = max(clause_start, start - _NEGATION_LOOKBACK)
        stop = text.find(",", end)
        clause_end = len(text) if stop < 0 else stop
        tail = text[end:clause_end]
        if tail.endswith(("吗", "嘛")):
            return False
        head = text[clause_start:start]
        if (
            self.negation.search(text, lo, start) is not None
            or _ADJACENT_DENIAL.search(head)
            or _DENIED_SPEECH.search(text[max(clause_start, start - _SPEECH_LOOKBACK) : start])
        ):
            return True
        if clause_end - clause_start <= _ECHO_CLAUSE and _ECHO_DENIAL.match(text[clause_end + 1 :]):
            return True
        if _HEARSAY.search(text, max(0, start - _SPEECH_LOOKBACK), start) and _DEBUNK.search(text, end):
            return True
        return _TRAILING_DENIAL.search(tail) is not None


def load_pack(path: Path) -> CompiledPack:
    return compile_pack(read_pack(path), path)


def compile_pack(spec: PackSpec, path: Path) -> CompiledPack:
    """Compile a validated pack; a bad regex raises ConfigError naming file and rule."""
    vocab = {name: "|".join(sorted(parts, key=len, reverse=True)) for name, parts in spec.vocab.items()}

    def regex(source: str, where: str) -> re.Pattern[str]:
        def expand(m: re.Match[str]) -> str:
            if m.group(1) not in vocab:
                raise ConfigError(f"rule pack {path}: key {where}: unknown vocab {{{m.group(1)}}}")
            return f"(?:{vocab[m.group(1)]})"

        try:
            return re.compile(_VOCAB_REF.sub(expand, source))
        except re.error as e:
            raise ConfigError(f"rule pack {path}: key {where}: bad regex {source!r}: {e}") from e

    def near(nearby: Nearby | None, where: str) -> Near | None:
        if nearby is None:
            return None
        parts = [_alternation(nearby.words)] if nearby.words else []
        parts += [regex(r, where).pattern for r in nearby.regex]
        if not parts:
            raise ConfigError(f"rule pack {path}: key {where}: needs words or regex")
        return Near(re.compile("|".join(f"(?:{p})" for p in parts)), nearby.window)

    def cited(basis: str | tuple[str, ...], where: str) -> str:
        if isinstance(basis, str):
            return basis
        try:
            return citation(basis)
        except ConfigError as e:
            raise ConfigError(f"rule pack {path}: key {where}: {e}") from e

    pack_basis = cited(spec.basis, "basis")
    rules = []
    sources: list[str] = []
    for i, rule in enumerate(spec.rules):
        where = f"rules.{i}({rule.id})"
        if not (rule.keywords or rule.regex or rule.price):
            raise ConfigError(f"rule pack {path}: key {where}: needs keywords, regex or price")
        parts = [_alternation(rule.keywords)] if rule.keywords else []
        parts += [regex(r, f"{where}.regex").pattern for r in rule.regex]
        pattern = re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None
        if pattern is not None:
            sources.append(pattern.pattern)
        if rule.price is not None:
            sources.append(_alternation(rule.price.reference))
        rules.append(
            CompiledRule(
                id=rule.id,
                category=spec.category,
                risk=rule.risk,
                confidence=rule.confidence,
                basis=cited(rule.basis, f"{where}.basis") if rule.basis else pack_basis,
                pattern=pattern,
                pinyin_keywords=rule.keywords if rule.pinyin else (),
                price=PriceMatcher(
                    rule.price.reference,
                    rule.price.live,
                    rule.price.min_ratio,
                    rule.price.max_ratio,
                    rule.price.max_gap,
                )
                if rule.price
                else None,
                context=near(rule.context, f"{where}.context"),
                pinyin_context=near(rule.pinyin_context, f"{where}.pinyin_context"),
                exclude=near(rule.exclude, f"{where}.exclude"),
                negatable=rule.negatable,
                spec=rule,
            )
        )
    negations = list(NEGATIONS) + [re.escape(normalise(n).text) for n in spec.negations]
    return CompiledPack(
        name=path.stem,
        path=path,
        version=spec.version,
        category=spec.category,
        basis=pack_basis,
        rules=tuple(rules),
        prefilter=re.compile("|".join(f"(?:{s})" for s in sources)),
        exclude=near(spec.exclude, "exclude"),
        negation=re.compile("|".join(negations)),
    )


def _alternation(words: tuple[str, ...] | list[str]) -> str:
    """Escaped, normalised words, longest first."""
    forms = {normalise(w).text.strip(",") for w in words}
    return "|".join(re.escape(w) for w in sorted(forms - {""}, key=len, reverse=True))
