"""The operator's model list (MODELS_FILE, TOML): which models may be used and what they cost."""

from __future__ import annotations

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
    models: dict[str, ModelPrice] = {}
    for name, spec in raw_models.items():
        try:
            models[name] = ModelPrice(
                name=name,
                input_per_million=Decimal(str(spec["input_per_million"])),
                output_per_million=Decimal(str(spec["output_per_million"])),
                context_window=int(spec["context_window"]),
                max_output_tokens=int(spec["max_output_tokens"]),
                default=bool(spec.get("default", False)),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ModelsFileError(f"{source}: models.{name}: missing or invalid field ({exc})") from exc
    defaults = [m.name for m in models.values() if m.default]
    if len(defaults) > 1:
        raise ModelsFileError(f"{source}: more than one default model: {', '.join(defaults)}")
    return ModelCatalog(models=models, default_model=defaults[0] if defaults else next(iter(models)))


@lru_cache(maxsize=8)
def load_catalog(path: Path) -> ModelCatalog:
    """Load MODELS_FILE once per path."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ModelsFileError(f"MODELS_FILE {path}: {exc.strerror}") from exc
    return parse_catalog(text, source=str(path))
