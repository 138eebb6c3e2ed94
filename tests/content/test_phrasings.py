"""Staff phrasings: validated like the rest of the content, trained on through the real reader."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import train_command
from bot.content.check import check_content, check_phrasings
from bot.content.phrasings import PHRASING_INTENTS, load_phrasings, training_yaml
from bot.nlu.examples import read_examples
from bot.paths import CONTENT_DIR, NLU_DATA_DIR, REPO_ROOT
from bot.settings import SUPPORTED_LANGUAGES

LANGUAGES = SUPPORTED_LANGUAGES


@pytest.fixture()
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def _write(root: Path, language: str, phrasings: dict[str, list[str]]) -> None:
    path = root / "phrasings" / f"{language}.yml"
    path.write_text(yaml.safe_dump({"language": language, "phrasings": phrasings},
                                   allow_unicode=True), encoding="utf-8")


def test_phrasings_may_teach_every_intent_the_nlu_predicts_and_no_other() -> None:
    domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(PHRASING_INTENTS) == set(domain["intents"]) - {"unsupported_media"}


def test_the_shipped_phrasing_files_load_and_pass() -> None:
    files = load_phrasings(CONTENT_DIR)
    assert sorted(f.language for f in files) == sorted(LANGUAGES)
    assert check_phrasings(CONTENT_DIR, LANGUAGES) == []


def test_content_check_refuses_phrasings_that_must_not_be_trained_on(
        content_copy: Path) -> None:
    already = read_examples(NLU_DATA_DIR / "fr" / "health.yml")[0]
    assert already[1] != "gbv"
    _write(content_copy, "fr", {
        "gbv": ["mon mari me tape tous les soirs", "appelle moi au 0661 23 45 67",
                "ecris a amina@example.org", "x" * 301, ""],
        "hotel_booking": ["je veux une chambre"],
        already[1]: [already[0].upper()],
    })
    _write(content_copy, "es", {"gbv": ["Mon mari me tape tous les soirs"]})
    _write(content_copy, "xx", {"greet": ["salut"]})
    errors = [str(f) for f in check_content(content_copy) if f.level == "error"
              and "phrasings/" in f.where]
    text = "\n".join(errors)
    assert "unknown intent 'hotel_booking'" in text
    assert "unknown language 'xx'" in text
    assert sum("phone number, e-mail address" in e for e in errors) == 2
    assert "301 characters" in text and "an empty phrasing" in text
    assert "already in the training data" in text
    # The same phrasing in two files is reported once, where it comes second (files in order).
    assert sum("mon mari me tape tous les soirs" in e for e in errors) == 1
    assert "is also listed under phrasings/es.yml: gbv" in text


def test_the_training_file_is_read_by_rasa_with_every_phrasing_and_intent(
        content_copy: Path, tmp_path: Path) -> None:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    tricky = ["mon mari me tape: je fais quoi ?", '"aidez moi" - vite', "زوجي يضربني كل ليلة",
              "- ya3tini darba", "#urgent ma soeur a disparu"]
    _write(content_copy, "fr", {"gbv": tricky[:2], "trafficking": [tricky[4]]})
    _write(content_copy, "ar", {"gbv": tricky[2:4]})
    data = RasaYAMLReader().reads(training_yaml(load_phrasings(content_copy)))
    got = sorted((m.get("text"), m.get("intent")) for m in data.intent_examples)
    assert got == sorted([(t, "gbv") for t in tricky[:4]] + [(tricky[4], "trafficking")])


def test_train_command_trains_on_the_phrasings_beside_the_nlu_data(content_copy: Path,
                                                                   tmp_path: Path) -> None:
    generated = tmp_path / "training"
    _write(content_copy, "fr", {"health_cost": ["c'est combien la consultation au dispensaire"]})
    command = train_command(content_copy, generated)
    data = command[command.index("--data") + 1:command.index("--out")]
    assert data == [str(NLU_DATA_DIR), str(generated)]
    assert read_examples(generated / "phrasings.yml") == [
        ("c'est combien la consultation au dispensaire", "health_cost")]
    _write(content_copy, "fr", {})
    train_command(content_copy, generated)
    assert not (generated / "phrasings.yml").exists(), "no stale phrasings are trained on"


def test_train_refuses_to_start_with_a_bad_phrasing(content_copy: Path) -> None:
    _write(content_copy, "en", {"gbv": ["call me on +212661234567"]})
    env = {**os.environ, "CONTENT_DIR": str(content_copy), "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "train"], capture_output=True,
                          text=True, cwd=REPO_ROOT, env=env, timeout=120)
    assert done.returncode == 1
    assert "phone number" in done.stderr and "+212661234567" not in done.stderr
