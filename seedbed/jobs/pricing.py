"""What tokens cost: a per-model price table the user edits, kept in the database.

Prices are US dollars per million tokens. A model name matches the longest
entry it starts with, so "gpt-4o-mini-2024-07-18" (the name a server reports)
costs what "gpt-4o-mini" costs. A model with no entry has no known price.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import Field, field_validator
from sqlalchemy import delete, insert, select

from seedbed.errors import InputError
from seedbed.models import Strict, Usage
from seedbed.store import schema as t
from seedbed.store.core import Store


class Price(Strict):
    model: str = Field(min_length=1, max_length=200)
    prompt_usd_per_mtok: float = Field(ge=0)
    completion_usd_per_mtok: float = Field(ge=0)

    @field_validator("model")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the model name is empty")
        return value


# List prices when this table was written; a new database starts with them.
DEFAULT_PRICES = [
    Price(model="gpt-4o-mini", prompt_usd_per_mtok=0.15, completion_usd_per_mtok=0.60),
    Price(model="gpt-4o", prompt_usd_per_mtok=2.50, completion_usd_per_mtok=10.00),
    Price(model="gpt-4.1-nano", prompt_usd_per_mtok=0.10, completion_usd_per_mtok=0.40),
    Price(model="gpt-4.1-mini", prompt_usd_per_mtok=0.40, completion_usd_per_mtok=1.60),
    Price(model="gpt-4.1", prompt_usd_per_mtok=2.00, completion_usd_per_mtok=8.00),
    Price(model="gpt-3.5-turbo", prompt_usd_per_mtok=0.50, completion_usd_per_mtok=1.50),
    Price(model="SmolLM2-135M-Instruct", prompt_usd_per_mtok=0.0, completion_usd_per_mtok=0.0),
]


class PriceTable:
    """Prices by model name, looked up by longest matching prefix."""

    def __init__(self, prices: Iterable[Price]) -> None:
        self.prices = {price.model: price for price in prices}
        # Longest first, so the most specific entry wins.
        self._names = sorted(self.prices, key=len, reverse=True)

    def find(self, model: str) -> Price | None:
        """The entry for `model`: an exact name, else the longest name it starts with."""
        if model in self.prices:
            return self.prices[model]
        return next((self.prices[n] for n in self._names if model.startswith(n)), None)

    def cost(self, model: str, usage: Usage) -> float | None:
        """What `usage` cost in US dollars, or None when `model` has no price."""
        price = self.find(model)
        if price is None:
            return None
        return (
            usage.prompt_tokens * price.prompt_usd_per_mtok
            + usage.completion_tokens * price.completion_usd_per_mtok
        ) / 1_000_000


def load_prices(store: Store) -> PriceTable:
    """The price table as the user left it."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.model_prices).order_by(t.model_prices.c.model)).all()
    return PriceTable(Price(**row._mapping) for row in rows)


def save_prices(store: Store, prices: Sequence[Price]) -> None:
    """Make `prices` the whole table, atomically; two rows for one model are refused."""
    names = [price.model for price in prices]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputError(f"Two prices for the same model: {', '.join(duplicates)}.")
    with store.engine.begin() as conn:
        conn.execute(delete(t.model_prices))
        if prices:
            conn.execute(insert(t.model_prices), [price.model_dump() for price in prices])


def budget_problem(
    cap_tokens: int | None,
    cap_usd: float | None,
    *,
    used_tokens: int,
    used_usd: float,
    reserved_tokens: int,
    reserved_usd: float,
    next_tokens: int,
    next_usd: float,
) -> str | None:
    """Why sending the next request could pass a budget cap, or None when it cannot.

    `used_*` is what the job spent; `reserved_*` the most the requests in flight and
    the next one may still spend (their max_tokens, not what they will use).
    """
    if cap_tokens is not None and used_tokens + reserved_tokens > cap_tokens:
        return (
            f"Stopped before passing the budget of {cap_tokens:,} tokens: {used_tokens:,} "
            f"used, and the next request could need up to {next_tokens:,}."
        )
    if cap_usd is not None and used_usd + reserved_usd > cap_usd:
        return (
            f"Stopped before passing the budget of ${cap_usd:.4f}: ${used_usd:.4f} spent, "
            f"and the next request could cost up to ${next_usd:.4f}."
        )
    return None
