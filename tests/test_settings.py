"""Settings: flag > environment > settings file > default, and one clear message for a bad one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperatlas.cli import cli
from paperatlas.errors import SettingsError
from paperatlas.settings import SETTINGS, Settings, documented, resolve, shown


def _config(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_file_or_environment(tmp_path: Path) -> None:
    s = resolve({}, {}, home=tmp_path)
    assert s == Settings(home=tmp_path)
    assert s.catalog == str(tmp_path / "catalog.sqlite")
    assert s.search_mode == "auto" and s.page_size == 20


def test_flag_beats_environment_beats_file_beats_default(tmp_path: Path) -> None:
    _config(tmp_path, 'search_mode = "semantic"\npage_size = 50\nport = 9000\n')
    env = {"PAPERATLAS_HOME": str(tmp_path), "PAPERATLAS_SEARCH_MODE": "keyword", "PAPERATLAS_PORT": "9100"}
    s = resolve({"port": 9200, "db": None}, env)
    assert s.home == tmp_path
    assert s.port == 9200  # flag
    assert s.search_mode == "keyword"  # environment
    assert s.page_size == 50  # file
    assert s.workers == 4  # default


def test_config_file_named_by_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("time_budget_s = 2\n")
    s = resolve({}, {"PAPERATLAS_CONFIG": str(config)}, home=tmp_path / "home")
    assert s.time_budget_s == 2.0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('serach_mode = "keyword"\n', ["unknown setting 'serach_mode'", "config.toml"]),
        ('page_size = "many"\n', ["page_size must be a whole number", "config.toml"]),
        ("page_size = true\n", ["page_size must be a whole number"]),
        ('search_mode = "fast"\n', ["search_mode must be one of auto, keyword, semantic, hybrid"]),
        ("workers = 0\n", ["workers must be positive"]),
        ("page_size = [\n", ["not valid TOML"]),
    ],
)
def test_bad_settings_file_names_the_file_the_key_and_the_fix(tmp_path: Path, text: str, words: list[str]) -> None:
    _config(tmp_path, text)
    with pytest.raises(SettingsError) as err:
        resolve({}, {}, home=tmp_path)
    message = str(err.value)
    assert all(w in message for w in words), message
    assert err.value.hint


def test_bad_environment_variable_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PAPERATLAS_PAGE_SIZE='ten'"):
        resolve({}, {"PAPERATLAS_PAGE_SIZE": "ten"}, home=tmp_path)
    # other PAPERATLAS_* variables (scripts' own) are not settings and are left alone
    assert resolve({}, {"PAPERATLAS_SOMETHING_ELSE": "x"}, home=tmp_path) == Settings(home=tmp_path)


def test_cli_reports_a_bad_settings_file_once_and_stores_nothing(_home: Path) -> None:
    _config(_home, "colour = 'blue'\n")
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 2
    assert "unknown setting 'colour'" in result.output and "known settings:" in result.output
    assert "Traceback" not in result.output
    assert not (_home / "catalog.sqlite").exists()


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert len(documented()) == len(SETTINGS)
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert not missing, f"settings missing from the README: {missing}"


def test_settings_command_shows_where_values_come_from(_home: Path) -> None:
    _config(_home, "page_size = 33\n")
    result = CliRunner().invoke(cli, ["settings", "--json"], env={"PAPERATLAS_SEARCH_MODE": "keyword"})
    assert result.exit_code == 0, result.output
    assert '"page_size": 33' in result.output and '"search_mode": "keyword"' in result.output


def test_secret_settings_are_never_printed(tmp_path: Path) -> None:
    env = {"PAPERATLAS_HOME": str(tmp_path), "PAPERATLAS_S2_API_KEY": "sk-very-secret"}
    settings = resolve(env=env)
    assert settings.s2_api_key == "sk-very-secret"
    assert shown(settings)["s2_api_key"] == "(set)" and shown(resolve(env={}))["s2_api_key"] == ""
    result = CliRunner().invoke(cli, ["settings", "--json"], env=env)
    assert result.exit_code == 0 and "sk-very-secret" not in result.output
    assert json.loads(result.output)["s2_api_key"] == "(set)"
