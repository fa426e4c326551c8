"""Tests for analysis.study.config: loading, validation, hashing, the assumptions table."""
from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import pytest
import yaml

from analysis import paths
from analysis._errors import InputError
from analysis.study.config import (BASES, Config, assumptions_table, config_from_dict, config_hash,
                             load_config)


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_config()


def _leaves(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, prefix + (str(k),))
    else:
        yield ".".join(prefix), node


def _write_modified(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(paths.CONFIG.read_text(encoding="utf-8"))
    edit(data)
    out = tmp_path / "sim.yaml"
    out.write_text(yaml.safe_dump(data), encoding="utf-8")
    return out


def test_default_config_loads_with_fixed_seed(cfg):
    # The seed is fixed in the file (publication month), never chosen from results.
    assert cfg.seed == 20140204
    assert cfg["replication"]["n_sims"] >= 500
    assert cfg.path == str(paths.CONFIG)


def test_hash_is_sha256_of_file_bytes(cfg):
    expected = hashlib.sha256(paths.CONFIG.read_bytes()).hexdigest()   # independent computation
    assert config_hash() == expected == cfg.sha256


def test_allele_frequencies_sum_to_one(cfg):
    for locus in ("DRD2", "DRD4"):
        assert sum(cfg["alleles"][locus].values()) == pytest.approx(1.0, abs=1e-9)


def test_config_is_read_only(cfg):
    with pytest.raises(TypeError):
        cfg["meta"]["seed"] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.data = {}


def test_every_value_is_labelled_with_basis_and_source(cfg):
    table = assumptions_table(cfg)
    raw = yaml.safe_load(paths.CONFIG.read_text(encoding="utf-8"))
    expected = dict(_leaves(raw))
    assert list(table["parameter"]) == list(expected)        # one row per leaf, file order
    unlabelled = table[~table["basis"].isin(BASES) | (table["source"].str.len() < 5)]
    assert unlabelled.empty, unlabelled["parameter"].tolist()
    row = table.set_index("parameter").loc["alleles.DRD2.A1"]
    assert (row["value"], row["basis"]) == ("0.19", "literature")
    # No number is attributed to the article: its tables are not available.
    assert not table["source"].str.contains(r"the paper's|from the article", case=False).any()


def test_allele_rows_cite_literature_and_unverified_drd4(cfg):
    table = assumptions_table(cfg).set_index("parameter")
    drd4 = table[table.index.str.startswith("alleles.DRD4.")]
    assert (drd4["basis"] == "literature").all()
    assert drd4["source"].str.contains("UNVERIFIED").all()


def test_overrides_are_validated_and_labelled(cfg):
    new = cfg.with_overrides({"study2": {"n": 500}})
    assert new["study2"]["n"] == 500 and cfg["study2"]["n"] == 230
    row = assumptions_table(new).set_index("parameter").loc["study2.n"]
    assert row["basis"] == "override" and "230" in row["source"]
    with pytest.raises(InputError, match="study2.n"):
        cfg.with_overrides({"study2": {"n": 3}})


@pytest.mark.parametrize("edit, key", [
    (lambda d: d["meta"].pop("seed"), "meta.seed"),
    (lambda d: d["instruments"]["CO"].pop("loadings"), "instruments.CO.loadings"),
    (lambda d: d["claims"]["sesoi"].pop("interaction_std"), "claims.sesoi.interaction_std"),
    (lambda d: d.pop("study2"), "study2.n"),
])
def test_missing_key_names_key_and_file(tmp_path, edit, key):
    path = _write_modified(tmp_path, edit)
    with pytest.raises(InputError) as err:
        load_config(path)
    assert key in str(err.value) and "sim.yaml" in str(err.value)


@pytest.mark.parametrize("edit, pattern", [
    (lambda d: d["alleles"]["DRD4"].__setitem__(4, 0.5), "sum to 1"),
    (lambda d: d["instruments"]["CO"].__setitem__("loadings", [0.7] * 11), "12 loadings"),
    (lambda d: d["instruments"]["secure"].__setitem__("reverse", [6]), "between 1 and 5"),
    (lambda d: d["latent"]["correlations"].update(secure_anxious=0.9, secure_avoidant=0.9,
                                                  anxious_avoidant=-0.9), "positive-definite"),
    (lambda d: d["study2"]["CO"]["effects"].__setitem__("drd4_7r_x_openness", 1.0), "openness"),
    (lambda d: d["replication"].__setitem__("n_sims", 100), "replication.n_sims"),
    (lambda d: d["meta"].__setitem__("seed", "abc"), "meta.seed"),
    (lambda d: d["study1"]["CO"]["effects"].__setitem__("drd4_7r", True), "drd4_7r"),
])
def test_invalid_values_raise_input_error(tmp_path, edit, pattern):
    path = _write_modified(tmp_path, edit)
    with pytest.raises(InputError, match=re.escape(pattern)):
        load_config(path)


def test_unsafe_or_broken_yaml_is_rejected(tmp_path):
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("meta: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_config(unsafe)
    broken = tmp_path / "broken.yaml"
    broken.write_text("meta: [1, 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_config(broken)
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "absent.yaml")
    with pytest.raises(InputError, match="mapping"):
        config_from_dict([1, 2])


def test_comment_reader_inheritance_and_quoted_hash(cfg):
    text = (
        "# block above a\n"
        "a:\n"
        "  b: 1  # chosen: own comment\n"
        "  c: 2\n"
        "label: \"x # not a comment\"  # setting: the real one\n"
        "\n"
        "# detached by a blank line, so it labels nothing\n"
        "\n"
        "d: 3\n"
    )
    data = yaml.safe_load(text)
    wrapped = Config(data=data, text=text)   # unvalidated: only the comment reader is tested
    table = assumptions_table(wrapped).set_index("parameter")
    assert table.loc["a.b", "source"] == "chosen: own comment"
    assert table.loc["a.c", "source"] == "block above a"          # inherits from parent
    assert table.loc["label", "source"] == "setting: the real one"
    assert table.loc["label", "value"] == "x # not a comment"
    assert table.loc["d", "source"] == "" and table.loc["d", "basis"] == ""
