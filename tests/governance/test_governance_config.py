"""The governance section of params.yaml: defaults, the required settings, and errors naming the key."""

from __future__ import annotations

import pytest

from mlci.config import parse_params
from mlci.core.errors import ConfigError

BASE = """\
data: {path: d.csv, id_column: id, target: y, task: classification}
model: {estimator: hist_gradient_boosting}
metrics: {primary: roc_auc, report: [roc_auc]}
"""


def test_defaults_without_a_governance_section():
    policy = parse_params(BASE).governance
    assert policy.data_checks.suites == ["schema", "data_integrity", "train_test_validation"]
    assert policy.model_checks.suites == ["model_evaluation", "gates"]
    assert (policy.approvals.required, policy.approvals.min) == ("ci", 1)
    assert (policy.image_scan.required, policy.image_scan.fail_on) == ("ci", "high")
    assert str(policy.data_card.path) == "data/README.md"
    assert all(getattr(policy, name).required is True for name in ("model_hash", "data_hash", "compare_gate"))


def test_partial_override_keeps_the_other_defaults():
    policy = parse_params(BASE + "governance:\n  data_checks: {required: false}\n").governance
    assert policy.data_checks.suites == ["schema", "data_integrity", "train_test_validation"]
    assert policy.data_checks.required is False


@pytest.mark.parametrize(("value", "parsed"), [("true", True), ("false", False), ("ci", "ci"), ("yes", True)])
def test_required_values(value, parsed):
    assert (
        parse_params(BASE + f"governance:\n  model_card: {{required: {value}}}\n").governance.model_card.required
        == parsed
    )


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("  approvals: {required: sometimes}\n", "params.yaml:5: governance.approvals.required"),
        ("  image_scan: {fail_on: severe}\n", "params.yaml:5: governance.image_scan.fail_on"),
        ("  approvals: {min: -1}\n", "governance.approvals.min"),
        ("  data_checks: {suites: []}\n", "list at least one check suite"),
        ("  model_checks: {suites: [a, a]}\n", "names must be unique"),
        ("  model_hash: {enable: false}\n", "unknown key 'enable'"),
    ],
)
def test_bad_governance_params_name_the_key(block, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        parse_params(BASE + "governance:\n" + block)


def test_a_disabled_checks_rule_may_list_no_suites():
    assert (
        parse_params(BASE + "governance:\n  data_checks: {enabled: false, suites: []}\n").governance.data_checks.suites
        == []
    )
