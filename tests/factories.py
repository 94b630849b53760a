import factory
from django.contrib.auth import get_user_model

from trial.models import Membership, Role, Site

DEFAULT_PASSWORD = "correct-horse-battery-42"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n + 1:02d}")
    name = factory.LazyAttribute(lambda o: f"Hospital {o.code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    site = factory.SubFactory(SiteFactory)
    role = Role.RESEARCH_NURSE


def user_with_role(role: str, *, site: Site | None, username: str | None = None, **kwargs):
    """Create a user holding ``role`` at ``site`` (trial-wide when ``site`` is None)."""
    user = UserFactory(**({"username": username} if username else {}), **kwargs)
    Membership.objects.create(user=user, site=site, role=role)
    return user
