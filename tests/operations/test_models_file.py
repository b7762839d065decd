"""MODELS_FILE: prices and token limits that would charge wrongly or break the context build are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models_catalog import ModelsFileError, load_catalog, parse_catalog
from app.settings import DEFAULT_MODELS_FILE
from tests.operations.cli import error_lines, run_cli

GOOD = {
    "input_per_million": "2.0",
    "output_per_million": "8.0",
    "context_window": "128000",
    "max_output_tokens": "4096",
}


def _table(fields: dict[str, str]) -> str:
    return "\n".join(f"{key} = {value}" for key, value in fields.items())


def _catalog(**bad: str) -> str:
    """A valid "ok-model" and a "bad-model" with the given fields changed."""
    return f'[models."ok-model"]\n{_table(GOOD)}\n\n[models."bad-model"]\n{_table(GOOD | bad)}\n'


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("input_per_million", "-0.5", "input_per_million must be a finite number of USD that is 0 or more, got -0.5"),
        ("output_per_million", "nan", "output_per_million must be a finite number of USD that is 0 or more, got nan"),
        ("input_per_million", "inf", "got inf"),
        ("output_per_million", "-inf", "got -inf"),
        ("input_per_million", '"2.0"', "got '2.0'"),
        ("output_per_million", "true", "got True"),
        ("context_window", "0", "context_window must be a positive whole number of tokens, got 0"),
        ("context_window", "-128000", "got -128000"),
        ("context_window", "1.5e5", "got 150000.0"),
        ("max_output_tokens", "0", "max_output_tokens must be a positive whole number of tokens, got 0"),
        ("max_output_tokens", "-1", "got -1"),
        ("max_output_tokens", "200000", "max_output_tokens (200,000) is larger than context_window (128,000)"),
        ("default", '"yes"', "default must be true or false, got 'yes'"),
    ],
)
def test_bad_values_name_the_file_the_model_and_the_field(field: str, value: str, message: str) -> None:
    with pytest.raises(ModelsFileError) as refused:
        parse_catalog(_catalog(**{field: value}), source="/etc/contextjson/models.toml")
    assert refused.value.detail.startswith('/etc/contextjson/models.toml: models."bad-model": ')
    assert message in refused.value.detail


def test_missing_fields_are_listed() -> None:
    with pytest.raises(ModelsFileError, match=r'models\."m": missing context_window, max_output_tokens'):
        parse_catalog('[models."m"]\ninput_per_million = 1\noutput_per_million = 1\n', source="f.toml")


def test_free_models_and_the_shipped_list_are_accepted() -> None:
    free = parse_catalog(_catalog(input_per_million="0", output_per_million="0.0"))
    assert free.models["bad-model"].input_per_million == 0
    shipped = load_catalog(DEFAULT_MODELS_FILE)
    assert shipped.default_model in shipped.models and all(
        m.max_output_tokens <= m.context_window for m in shipped.models.values()
    )


def test_serve_refuses_a_bad_file_in_one_line(tmp_path: Path) -> None:
    models = tmp_path / "models.toml"
    models.write_text(_catalog(context_window="-1"))
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "MODELS_FILE": str(models), "REDIS_URL": ""}
    proc = run_cli(["serve"], env, timeout=60)
    assert proc.returncode == 2
    [line] = error_lines(proc)
    assert line == (
        f'contextjson serve: {models}: models."bad-model": context_window must be a positive whole number of '
        "tokens, got -1"
    )
