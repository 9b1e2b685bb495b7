"""factory-boy factories for every core model."""

from datetime import date

import factory
from factory.django import DjangoModelFactory

from xietong.core.models import (
    Membership,
    OrgUnit,
    Partnership,
    Programme,
    Region,
    Role,
    SecurityEvent,
    User,
)

PASSWORD = "Correct-Horse-42"

# Real GB/T 2260 codes of Chongqing districts, handed out in turn.
DISTRICT_CODES = ["500101", "500102", "500103", "500104", "500105", "500106", "500107",
                  "500108", "500109", "500110", "500111", "500113", "500114", "500115",
                  "500116", "500117", "500118", "500119", "500120", "500151", "500152",
                  "500153", "500154", "500155", "500156"]  # fmt: skip


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"对口协同计划{n}")
    code = factory.Sequence(lambda n: f"programme-{n}")


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"测试区{n}")
    kind = Region.Kind.DISTRICT
    division_code = factory.Sequence(lambda n: DISTRICT_CODES[n % len(DISTRICT_CODES)])


class PartnershipFactory(DjangoModelFactory):
    class Meta:
        model = Partnership

    programme = factory.SubFactory(ProgrammeFactory)
    developed_side = factory.SubFactory(RegionFactory)
    partner_side = factory.SubFactory(RegionFactory)
    start_date = date(2021, 1, 12)


class OrgUnitFactory(DjangoModelFactory):
    class Meta:
        model = OrgUnit

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"经济运行局{n}")
    kind = OrgUnit.Kind.BUREAU


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.LEADER


class SecurityEventFactory(DjangoModelFactory):
    class Meta:
        model = SecurityEvent

    kind = SecurityEvent.Kind.LOGIN
    username = factory.Sequence(lambda n: f"user{n}")
    ip = "10.20.30.40"
    path = "/accounts/login/"
