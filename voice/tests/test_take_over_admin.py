"""The take-over settings in the admin: each staff member keeps their own phone for "Transfer to me"
(and cannot see or change anyone else's), and the shop's transfer numbers are real numbers."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from dealership.core.groups import OWNER, SERVICE_ADVISOR
from voice.models import StaffProfile, TransferNumber

pytestmark = pytest.mark.django_db


def member_of(group: str, username: str) -> tuple[User, Client]:
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return user, client


def test_an_advisor_sets_their_own_phone_and_sees_no_one_elses(shop):
    colleague, _ = member_of(SERVICE_ADVISOR, "colleague")
    theirs = StaffProfile.objects.create(user=colleague, phone="+13125550111")
    advisor, client = member_of(SERVICE_ADVISOR, "advisor")

    added = client.post(
        reverse("admin:voice_staffprofile_add"), {"phone": "(312) 555-0199", "user": colleague.pk}
    )
    listed = client.get(reverse("admin:voice_staffprofile_changelist")).content.decode()
    other = client.get(reverse("admin:voice_staffprofile_change", args=[theirs.pk]))

    assert added.status_code == 302
    assert StaffProfile.objects.get(user=advisor).phone == "+13125550199"  # theirs, whatever was posted
    assert StaffProfile.objects.get(user=colleague).phone == "+13125550111"
    assert "(312) 555-0199" in listed and "(312) 555-0111" not in listed
    assert other.status_code == 302  # "doesn't exist" for them, back to the admin
    assert client.get(reverse("admin:voice_staffprofile_add")).status_code == 403  # one profile each


def test_a_phone_must_be_a_phone_number(shop):
    _, client = member_of(SERVICE_ADVISOR, "advisor")

    answer = client.post(reverse("admin:voice_staffprofile_add"), {"phone": "call me maybe"})

    assert answer.status_code == 200
    assert "Enter a phone number" in answer.content.decode()
    assert not StaffProfile.objects.exists()


def test_the_owner_keeps_the_transfer_list_and_advisors_only_read_it(shop):
    _, owner = member_of(OWNER, "owner")
    _, advisor = member_of(SERVICE_ADVISOR, "advisor")
    add = reverse("admin:voice_transfernumber_add")

    refused = advisor.post(add, {"label": "Sneaky", "phone": "+19005550100", "active": "on"})
    added = owner.post(add, {"label": "Parts desk", "phone": "312-555-0142", "active": "on"})

    assert refused.status_code == 403
    assert added.status_code == 302
    assert list(TransferNumber.objects.values_list("label", "phone")) == [("Parts desk", "+13125550142")]
    assert "(312) 555-0142" in advisor.get(reverse("admin:voice_transfernumber_changelist")).content.decode()
