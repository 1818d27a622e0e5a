import io

import factory
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from employees import services
from employees.models import Badge, Department, Employee, Location, Skill


class BadgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Badge
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Badge {n}")
    slug = factory.Sequence(lambda n: f"badge-{n}")
    icon = "star"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.Sequence(lambda n: f"department-{n}")


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Skill {n}")
    slug = factory.Sequence(lambda n: f"skill-{n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Place {n}")


class EmployeeFactory(factory.django.DjangoModelFactory):
    """Employees written as the site writes them (services.save_employee): searchable, with a history."""

    class Meta:
        model = Employee

    full_name = factory.Faker("name")
    # Plain sequences, not Faker: a random "Manager" would match a test's search for "ana".
    job_title = factory.Sequence(lambda n: f"Job {n}")
    location = factory.SubFactory(LocationFactory)
    badges = ()
    skills = ()

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # A location by name, as tests write it: location="Madrid".
        if isinstance(kwargs.get("location"), str):
            kwargs["location"] = LocationFactory(name=kwargs["location"])
        return kwargs

    @classmethod
    def _create(cls, model_class, *args, badges=(), skills=(), **kwargs):
        return services.save_employee(model_class(**kwargs), badges=badges, skills=skills)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class EditorFactory(UserFactory):
    @factory.post_generation
    def editors_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name="Editors"))


def image_bytes(image_format="JPEG", size=(800, 600), **save_options):
    """An image of ``size`` pixels in ``image_format``: half blue, half orange, so crops can be seen."""
    image = Image.new("RGB", size, (11, 92, 173))
    image.paste((255, 140, 0), (size[0] // 2, 0, size[0], size[1]))
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save_options)
    return buffer.getvalue()


def photo_upload(image_format="JPEG", size=(800, 600), name="photo.jpg", **save_options):
    return SimpleUploadedFile(name, image_bytes(image_format, size, **save_options))
