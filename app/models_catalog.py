"""The operator's model list (MODELS_FILE, TOML): which models may be used and what they cost."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from app.errors import AppError


class ModelsFileError(AppError):
    code = "config.models_file"
    status_code = 500


@dataclass(frozen=True)
class ModelPrice:
    """One model's limits and prices (USD per million tokens)."""

    name: str
    input_per_million: Decimal
    output_per_million: Decimal
    context_window: int
    max_output_tokens: int
    default: bool = False


@dataclass(frozen=True)
class ModelCatalog:
    models: dict[str, ModelPrice]
    default_model: str

    def __contains__(self, name: object) -> bool:
        return name in self.models

    def get(self, name: str | None) -> ModelPrice:
        """The named model, or the default one when no name is given."""
        return self.models[name or self.default_model]


def parse_catalog(text: str, source: str = "MODELS_FILE") -> ModelCatalog:
    """Parse and check a model list; a broken file is an operator error reported with its source."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelsFileError(f"{source}: {exc}") from exc
    raw_models = data.get("models")
    if not isinstance(raw_models, dict) or not raw_models:
        raise ModelsFileError(f'{source}: needs at least one [models."name"] table')
    models = {name: _parse_model(source, name, spec) for name, spec in raw_models.items()}
    defaults = [m.name for m in models.values() if m.default]
    if len(defaults) > 1:
        raise ModelsFileError(f"{source}: more than one default model: {', '.join(defaults)}")
    return ModelCatalog(models=models, default_model=defaults[0] if defaults else next(iter(models)))


def _parse_model(source: str, name: str, spec: object) -> ModelPrice:
    """One [models."name"] table: prices finite and ≥ 0, token limits positive integers that fit together."""
    where = f'{source}: models."{name}"'
    if not isinstance(spec, dict):
        raise ModelsFileError(f"{where}: must be a table")
    missing = [key for key in _REQUIRED_FIELDS if key not in spec]
    if missing:
        raise ModelsFileError(f"{where}: missing {', '.join(missing)}")
    window = _token_count(where, "context_window", spec["context_window"])
    max_output = _token_count(where, "max_output_tokens", spec["max_output_tokens"])
    if max_output > window:
        raise ModelsFileError(f"{where}: max_output_tokens ({max_output:,}) is larger than context_window ({window:,})")
    default = spec.get("default", False)
    if not isinstance(default, bool):
        raise ModelsFileError(f"{where}: default must be true or false, got {default!r}")
    return ModelPrice(
        name=name,
        input_per_million=_price(where, "input_per_million", spec["input_per_million"]),
        output_per_million=_price(where, "output_per_million", spec["output_per_million"]),
        context_window=window,
        max_output_tokens=max_output,
        default=default,
    )


_REQUIRED_FIELDS = ("input_per_million", "output_per_million", "context_window", "max_output_tokens")


def _price(where: str, key: str, value: object) -> Decimal:
    # bool is an int in Python; TOML's nan and inf are floats.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ModelsFileError(f"{where}: {key} must be a finite number of USD that is 0 or more, got {value!r}")
    return Decimal(str(value))


def _token_count(where: str, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ModelsFileError(f"{where}: {key} must be a positive whole number of tokens, got {value!r}")
    return value


@lru_cache(maxsize=8)
def load_catalog(path: Path) -> ModelCatalog:
    """Load MODELS_FILE once per path."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ModelsFileError(f"MODELS_FILE {path}: {exc.strerror}") from exc
    return parse_catalog(text, source=str(path))
