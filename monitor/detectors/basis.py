"""The legal basis table: law, version, article, verbatim text and source address.

Detectors and rule packs cite articles by id (``basis: [ad_law_2021.art9:三]``: article id, then an optional
item after ``:``); :func:`citation` turns the ids into the text every finding carries, and an id
missing from the table is a configuration error when the pack loads. The table lives in
``legal_basis.yaml`` beside this module; every entry's text was copied from the source it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.errors import ConfigError, describe_validation_error

__all__ = ["TABLE", "Article", "citation", "load_table"]

TABLE = Path(__file__).with_name("legal_basis.yaml")


class Article(BaseModel):
    """One article of a law or regulation, as published."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+\.art\d+$")
    law: str = Field(min_length=2)
    version: str = Field(min_length=1)
    article: str = Field(min_length=2)
    text: str = Field(min_length=5)
    source: str = Field(pattern=r"^https?://")
    checked: str = Field(pattern=r"^(official|reproduction)$")
    partial: bool = False
    note: str = ""

    @property
    def short_law(self) -> str:
        return self.law.removeprefix("中华人民共和国")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    articles: tuple[Article, ...] = Field(min_length=1)


@cache
def load_table(path: Path = TABLE) -> Mapping[str, Article]:
    """The table's articles by id; a broken table raises ConfigError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        table = _Table.model_validate(data)
    except OSError as e:
        raise ConfigError(f"cannot read the legal basis table {path}: {e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"legal basis table {path} is not valid YAML: {e}") from e
    except ValidationError as e:
        raise ConfigError(f"legal basis table {path}: {describe_validation_error(e)}") from e
    by_id: dict[str, Article] = {}
    for article in table.articles:
        if article.id in by_id:
            raise ConfigError(f"legal basis table {path}: id {article.id} is used twice")
        by_id[article.id] = article
    return by_id


def citation(refs: Sequence[str], table: Mapping[str, Article] | None = None) -> str:
    """The citation text for article refs (``id`` or ``id:item``), one law at a time.

    ``["ad_law_2021.art9:三", "ad_law_2021.art28"]`` → ``《广告法》（2021-04-29 修正）第九条第（三）项、第二十八条``.
    Raises ConfigError naming the first ref that is not in the table.
    """
    table = load_table() if table is None else table
    laws: dict[tuple[str, str], list[str]] = {}
    for ref in refs:
        article_id, _, item = ref.partition(":")
        article = table.get(article_id)
        if article is None:
            raise ConfigError(f"legal basis {ref!r} is not in the legal basis table ({TABLE.name})")
        version = article.version.split("，")[0]
        laws.setdefault((article.short_law, version), []).append(article.article + (f"第（{item}）项" if item else ""))
    return "；".join(f"《{law}》（{version}）{'、'.join(articles)}" for (law, version), articles in laws.items())
