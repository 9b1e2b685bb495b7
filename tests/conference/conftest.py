"""Conference fixtures on top of the core `world`: an agreement of pair A with a task led
by the department staff's unit (两江新区产业促进局) and supported by a 万州 unit."""

import pytest

from .factories import AgreementFactory, TaskFactory


@pytest.fixture
def agreement(world):
    return AgreementFactory(partnership=world.pair_a, year=2026)


@pytest.fixture
def task(world, agreement):
    return TaskFactory(
        agreement=agreement,
        code="2026-001",
        title="共建万州汽车零部件配套产业园",
        lead_units=[world.unit_a_dev],
        support_units=[world.unit_a_partner],
        responsible=world.users["department_staff"],
    )


@pytest.fixture
def other_agreement(world):
    """An agreement of pair B: never visible to pair A's people."""
    return AgreementFactory(partnership=world.pair_b, year=2026)
