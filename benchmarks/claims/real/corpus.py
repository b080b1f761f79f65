"""Live-room lines quoted in public sources: gathered shards, one corpus, split by source.

Shards (``raw/*.jsonl``) hold the lines as they were gathered, each with the address of the
page that quotes it. :func:`build` merges them into ``corpus.jsonl``: it validates every line,
drops repeats of the same line from the same page, gives each line a stable id and deals
**sources**, not lines, into ``train`` and ``test``. Pages are grouped by site, and sites that
quote the same line (content sites copy each other) are joined into one group, so no line can
sit in both splits. A group's split follows from a hash of its key; once written, a line keeps
its split when the corpus is rebuilt with more shards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from benchmarks.claims.corpus import CATEGORIES, CorpusError, normalise_for_dedup

__all__ = ["CORPUS", "RAW_DIR", "Line", "build", "deal", "load_real", "site_of", "unique"]

HERE = Path(__file__).resolve().parent
RAW_DIR = HERE / "raw"
CORPUS = HERE / "corpus.jsonl"

Label = Literal["violating", "compliant"]
SOURCE_KINDS = ("regulator", "court", "platform_rule", "news", "guide", "forum", "other")
SPLITS = ("train", "test")
TEST_SHARE = 0.35
"""Share of sites dealt to ``test`` (by a hash of the site, so the share of lines varies)."""
_SALT = "livemon-real-v1"
_TWO_LEVEL = {"com.cn", "gov.cn", "org.cn", "net.cn", "edu.cn", "ac.cn", "com.hk", "com.tw", "co.jp"}
_CODE_HOSTS = {"github.com", "gitee.com", "gitlab.com"}


@dataclass(frozen=True, slots=True)
class Line:
    """One quoted utterance and where it was quoted."""

    id: str
    text: str
    label: Label
    categories: tuple[str, ...]
    """Violating lines: one or two of :data:`CATEGORIES`; compliant lines: none."""
    url: str
    title: str
    source_kind: str
    date: str | None
    split: str
    near: str = ""
    """Compliant lines: the category they resemble, if any."""
    date_basis: str = ""
    quote_form: str = "sentence"
    where: str = ""

    @property
    def site(self) -> str:
        return site_of(self.url)

    def to_json(self) -> str:
        obj = asdict(self)
        obj["categories"] = list(self.categories)
        return json.dumps(obj, ensure_ascii=False)


def site_of(url: str) -> str:
    """The source a page belongs to: its registrable domain (``m.book118.com`` → ``book118.com``,
    ``samr.gov.cn`` stays), a bare IP address whole, and on a code host the owner (``github.com/owner``),
    since every owner there writes their own lists."""
    split = urlsplit(url)
    host = (split.hostname or "").lower().rstrip(".")
    if host.replace(".", "").isdigit():
        return host
    if host in _CODE_HOSTS or host == "raw.githubusercontent.com":
        owner = split.path.strip("/").split("/")[0].lower()
        host = "github.com" if host == "raw.githubusercontent.com" else host
        return f"{host}/{owner}" if owner else host
    parts = host.split(".")
    keep = 3 if ".".join(parts[-2:]) in _TWO_LEVEL else 2
    return ".".join(parts[-keep:])


def _line_id(url: str, text: str) -> str:
    return "real-" + hashlib.sha1(f"{url}\n{text}".encode()).hexdigest()[:12]


def _check(obj: dict[str, object], where: str) -> dict[str, object]:
    """The shard record with its fields checked, or :class:`CorpusError` saying what is wrong."""
    text = str(obj.get("text", "")).strip()
    url = str(obj.get("url", "")).strip()
    label = obj.get("label")
    categories = obj.get("categories") or []
    if not text:
        raise CorpusError(f"{where}: empty text")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise CorpusError(f"{where}: url must be an http(s) address, got {url!r}")
    if label not in ("violating", "compliant"):
        raise CorpusError(f"{where}: label must be violating or compliant, got {label!r}")
    if not isinstance(categories, list) or any(c not in CATEGORIES for c in categories):
        raise CorpusError(f"{where}: categories must be a list of {', '.join(CATEGORIES)}, got {categories!r}")
    if (label == "violating") != bool(categories):
        raise CorpusError(f"{where}: a violating line needs a category and a compliant line none")
    kind = obj.get("source_kind", "other")
    if kind not in SOURCE_KINDS:
        raise CorpusError(f"{where}: source_kind must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}")
    near = str(obj.get("near") or "")
    if near and near not in CATEGORIES:
        near = ""
    return {
        "text": text,
        "label": label,
        "categories": tuple(dict.fromkeys(str(c) for c in categories)),
        "url": url,
        "title": str(obj.get("title") or ""),
        "source_kind": kind,
        "date": obj.get("date") or None,
        "near": near,
        "date_basis": str(obj.get("date_basis") or ""),
        "quote_form": str(obj.get("quote_form") or "sentence"),
        "where": str(obj.get("where") or ""),
    }


def _read_shards(folder: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted(folder.glob("*.jsonl")):
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if raw.strip():
                where = f"{path.name}:{lineno}"
                try:
                    rows.append(_check(json.loads(raw), where))
                except json.JSONDecodeError as e:
                    raise CorpusError(f"{where}: invalid JSON ({e.msg})") from e
    return rows


def _hashed_split(site: str) -> str:
    bucket = int(hashlib.sha1(f"{_SALT}:{site}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if bucket < TEST_SHARE else "train"


def deal(rows: Sequence[dict[str, object]], kept: dict[str, str]) -> list[str]:
    """The split of each row (``kept``: the splits of rows already dealt, by id).

    A line already dealt keeps its split, and new quotes of it follow it. Any other line is
    ``test`` when it is quoted on a test site, else ``train``. Content sites copy each other's
    lists, so the same line is often quoted on a train site and a test site: it then belongs to
    ``test`` wherever it is quoted, and train never holds a test line. A new line from a site
    that already has dealt lines goes to that site's side, so a site never straddles the split.
    """
    ids = [_line_id(str(row["url"]), str(row["text"])) for row in rows]
    keys = [normalise_for_dedup(str(row["text"])) for row in rows]
    sites = [site_of(str(row["url"])) for row in rows]
    dealt = {key: kept[i] for i, key in zip(ids, keys, strict=True) if i in kept}
    site_split: dict[str, str] = {}  # a site already dealt keeps its side (test if it has any test line)
    for i, site in zip(ids, sites, strict=True):
        if i in kept and site_split.get(site) != "test":
            site_split[site] = kept[i]
    on_test_site = {
        key for key, site in zip(keys, sites, strict=True) if site_split.get(site, _hashed_split(site)) == "test"
    }
    return [dealt.get(key, "test" if key in on_test_site else "train") for key in keys]


def build(raw_dir: Path = RAW_DIR, corpus: Path = CORPUS) -> list[Line]:
    """Merge the shards into ``corpus`` (see the module docstring) and return its lines."""
    seen: set[tuple[str, str]] = set()
    rows = []
    for row in _read_shards(raw_dir):
        key = (str(row["url"]), normalise_for_dedup(str(row["text"])))
        if key not in seen:
            seen.add(key)
            rows.append(row)
    kept = {line.id: line.split for line in load_real(corpus=corpus)} if corpus.exists() else {}
    splits = deal(rows, kept)
    lines = [
        Line(id=_line_id(str(r["url"]), str(r["text"])), split=split, **r)  # type: ignore[arg-type]
        for r, split in zip(rows, splits, strict=True)
    ]
    lines.sort(key=lambda line: (line.split, line.site, line.url, line.id))
    corpus.write_text("".join(line.to_json() + "\n" for line in lines), encoding="utf-8")
    return lines


def load_real(split: str | None = None, corpus: Path = CORPUS) -> list[Line]:
    """The corpus lines, or one split's (``train`` or ``test``)."""
    if split is not None and split not in SPLITS:
        raise CorpusError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if not corpus.exists():
        raise CorpusError(f"{corpus} does not exist: run `python -m benchmarks.claims.real build`")
    lines = []
    for lineno, raw in enumerate(corpus.read_text(encoding="utf-8").splitlines(), 1):
        obj = json.loads(raw)
        obj["categories"] = tuple(obj["categories"])
        line = Line(**obj)
        if line.categories and any(c not in CATEGORIES for c in line.categories):
            raise CorpusError(f"{corpus.name}:{lineno}: unknown category in {line.categories}")
        lines.append(line)
    return [line for line in lines if split is None or line.split == split]



def unique(lines: Iterable[Line]) -> list[Line]:
    """One line per distinct text (the first quoted), so copied lists do not weigh more."""
    seen: set[str] = set()
    out = []
    for line in lines:
        key = normalise_for_dedup(line.text)
        if key not in seen:
            seen.add(key)
            out.append(line)
    return out
