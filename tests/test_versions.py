import pytest

from vaults.models import RegisteredServer
from vaults.versions import (
    meets_minimum,
    minimum_description,
    parse_version,
)


@pytest.mark.parametrize(
    "text, parsed",
    [
        ("2.0.9052", (2, 0, 9052)),
        (" 2.0.10000 ", (2, 0, 10000)),
        ("3", (3,)),
        ("2.0.9052.1", (2, 0, 9052, 1)),
        ("", None),
        (None, None),
        ("2.0.x", None),
        ("v2.0.9052", None),
        ("2..9052", None),
        ("2.0.9052.1.2", None),
    ],
)
def test_versions_parse_as_tuples_of_numbers(text, parsed):
    assert parse_version(text) == parsed


def test_numbers_decide_where_strings_would_not():
    assert "2.0.10000" < "2.0.9052"  # the trap string order sets
    assert meets_minimum("agent", "2.0.10000")


@pytest.mark.parametrize(
    "version, supported",
    [
        ("2.0.9051", False),
        ("2.0.9052", True),
        ("2.0.9145", True),
        ("2.1.0", True),
        ("1.9.99999", False),
        ("10.0.0", True),
        ("garbage", False),
        ("", False),
    ],
)
def test_the_backup_agent_needs_2_0_9052(version, supported):
    assert meets_minimum("agent", version) is supported


@pytest.mark.parametrize(
    "agent, product, supported",
    [
        ("2.0.9052", "Update 1", True),
        ("2.0.9052", "update 3", True),
        ("2.0.9052", "UR2", True),
        ("2.0.9052", "Update 0", False),
        ("2.0.9052", "", False),
        ("2.0.9051", "Update 1", False),
    ],
)
def test_backup_server_needs_update_1_and_the_agent(agent, product, supported):
    assert meets_minimum("backup-server", agent, product) is supported


@pytest.mark.parametrize(
    "product, supported",
    [
        ("2012 R2 UR12", True),
        ("2012 R2 UR11", False),
        ("2012 r2 ur 14", True),
        ("2016 UR2", True),
        ("2016 UR1", False),
        ("2016", False),
        ("2019", True),
        ("2012 SP1 UR12", False),
        ("2010", False),
        ("DPM something", False),
        ("", False),
    ],
)
def test_dpm_needs_2012_r2_ur12_or_2016_ur2(product, supported):
    assert meets_minimum("dpm", "2.0.9052", product) is supported


def test_dpm_also_needs_the_agent_minimum():
    assert not meets_minimum("dpm", "2.0.9000", "2016 UR5")


def test_each_kind_describes_its_minimum():
    assert "2.0.9052" in minimum_description("agent")
    assert "update 1" in minimum_description("backup-server")
    assert "2012 R2 UR12" in minimum_description("dpm")
    assert "2016 UR2" in minimum_description("dpm")


def test_a_registered_server_says_whether_it_is_supported():
    assert RegisteredServer(
        kind="agent", agent_version="2.0.10000"
    ).is_supported_for_security
    assert not RegisteredServer(
        kind="dpm", agent_version="2.0.9052", product_version="2012 R2 UR11"
    ).is_supported_for_security
