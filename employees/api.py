"""The REST API under /api/v1/: the list page's search, filters and sort order, and the UI's permissions."""

import copy

from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError, Value
from django.db.models.functions import Lower
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import exceptions, routers, serializers, status, viewsets

from . import services
from .filters import EmployeeFilter
from .models import CONTACT_FIELDS, Badge, Department, Employee, Location, Skill


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Someone else saved this employee after the version you sent; nothing was saved."
    default_code = "conflict"


class InUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        "People or departments are part of this department: move them first; nothing was deleted."
    )
    default_code = "in_use"


class BadgeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Badge
        fields = ["slug", "name", "icon", "position"]


class PrivateFieldMixin:
    """Reads the value the requesting user may see (``visible_<field>``, from
    ``EmployeeQuerySet.with_private_fields``), null when hidden; writes the field itself."""

    def get_attribute(self, instance):
        return getattr(instance, f"visible_{self.source}")


class PrivatePhoneNumberField(PrivateFieldMixin, PhoneNumberField):
    pass


class PrivateDateField(PrivateFieldMixin, serializers.DateField):
    pass


class SkillNamesField(serializers.ListField):
    def to_representation(self, skills):
        return [skill.name for skill in skills.all()]


class SlugRelatedField(serializers.SlugRelatedField):
    """A catalogue entry by its slug; a value with a NUL, which PostgreSQL cannot compare, is no slug."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class DepartmentSerializer(serializers.ModelSerializer):
    parent = SlugRelatedField(
        slug_field="slug",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        help_text="The slug of the department this one is part of; null for a top-level department.",
    )

    class Meta:
        model = Department
        fields = ["slug", "name", "parent"]

    def validate(self, attrs):
        # The model's own check: a department may not end up under itself.
        department = copy.copy(self.instance) if self.instance else Department()
        for name, value in attrs.items():
            setattr(department, name, value)
        try:
            department.clean()
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["slug", "name"]
        extra_kwargs = {"slug": {"required": False, "help_text": "Made from the name when left out."}}

    def validate_name(self, name):
        name = " ".join(name.split())
        # Compared as the database's unique constraint compares them, whatever the case.
        others = Skill.objects.exclude(pk=getattr(self.instance, "pk", None)).annotate(
            lower_name=Lower("name")
        )
        if others.filter(lower_name=Lower(Value(name))).exists():
            raise serializers.ValidationError("A skill with this name already exists.")
        return name


class LocationSerializer(serializers.ModelSerializer):
    headcount = serializers.IntegerField(
        read_only=True, help_text="How many people work there; those who left are not counted."
    )

    class Meta:
        model = Location
        fields = ["name", "country", "time_zone", "address", "headcount"]

    def validate_name(self, name):
        name = " ".join(name.split())
        # Compared as the database's unique constraint compares them, whatever the case.
        others = Location.objects.exclude(pk=getattr(self.instance, "pk", None))
        if others.named(name):
            raise serializers.ValidationError("A location with this name already exists.")
        return name


class LocationField(serializers.SlugRelatedField):
    """A location by name, whatever its case or spacing."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="name", queryset=Location.objects.all(), **kwargs)

    def to_internal_value(self, data):
        location = Location.objects.named(data) if isinstance(data, str) and "\x00" not in data else None
        if location is None:
            self.fail("does_not_exist", slug_name="name", value=str(data).replace("\x00", ""))
        return location

    def get_attribute(self, employee):
        return employee.location_id  # the name: no query of the location

    def to_representation(self, name):
        return name


class EmployeeSerializer(serializers.ModelSerializer):
    badges = SlugRelatedField(
        many=True,
        required=False,
        slug_field="slug",
        queryset=Badge.objects.all(),
        help_text="Badge slugs, for example coffee-snob.",
    )
    badge_names = serializers.SlugRelatedField(
        source="badges",
        slug_field="name",
        many=True,
        read_only=True,
        help_text="The badges' names, in the order of `badges`.",
    )
    work_phone = PhoneNumberField(
        required=False, allow_blank=True, help_text="E.164, for example +34612345678; empty for none."
    )
    mobile = PrivatePhoneNumberField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="E.164; null when `mobile_visibility` hides it from you, empty for none.",
    )
    start_date = PrivateDateField(
        required=False,
        allow_null=True,
        help_text="Null when `start_date_visibility` hides it from you, or unknown.",
    )
    department = SlugRelatedField(
        slug_field="slug",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        help_text="The department's slug, for example engineering; null for none.",
    )
    location = LocationField(help_text="The location's name, for example Madrid (any case).")
    department_name = serializers.CharField(
        source="department.name", read_only=True, allow_null=True, help_text="The department's name."
    )
    photo_url = serializers.SerializerMethodField(
        help_text="The address of the photo's thumbnail (of the photo, for one saved before thumbnails); "
        "null without a photo. It needs a signed-in session, as the site's pages do."
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=Employee.objects.current(),
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},  # never a <select> of every employee in the browsable API
        help_text="The id of the employee this one reports to; null for nobody.",
    )
    skills = SkillNamesField(
        child=serializers.CharField(max_length=Skill._meta.get_field("name").max_length),
        required=False,
        max_length=30,
        help_text="Skill names. Existing skills are matched without regard to case; new ones are created.",
    )

    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Goes up by one on every save. Required to change an employee: send the version you read. "
        "If someone saved the employee since, nothing is saved and the answer is 409 Conflict.",
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "version",
            "full_name",
            "job_title",
            "location",
            "badges",
            "badge_names",
            *CONTACT_FIELDS,
            "department",
            "department_name",
            "manager",
            "skills",
            "photo_url",
            "left_on",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_photo_url(self, employee):
        photo = employee.photo_thumbnail or employee.photo
        return self.context["request"].build_absolute_uri(photo.url) if photo else None

    def validate_work_email(self, email):
        email = BaseUserManager.normalize_email(email)
        others = Employee.objects.exclude(pk=getattr(self.instance, "pk", None))
        if email and others.with_work_email(email).exists():
            raise serializers.ValidationError("Another employee already has this work email.")
        return email

    def validate_mobile(self, mobile):
        # Null reads as "hidden" but writes as "none": the column holds an empty string then.
        return mobile or ""

    def validate_skills(self, names):
        return Skill.objects.for_names(names)

    def validate_version(self, version):
        if self.instance is None:
            raise serializers.ValidationError("A new employee has no version yet: leave it out.")
        return version

    def validate(self, attrs):
        if self.instance is None:
            return attrs
        if "version" not in attrs:
            raise serializers.ValidationError(
                {"version": ["Send the version you read, to change an employee."]}
            )
        if attrs.get("manager") is not None:
            try:
                self.instance.check_manager(attrs["manager"].pk)
            except ValidationError as error:
                raise serializers.ValidationError(error.message_dict) from error
        return attrs

    def create(self, validated_data):
        return self.update(Employee(), validated_data)

    def update(self, employee, validated_data):
        badges, skills = validated_data.pop("badges", None), validated_data.pop("skills", None)
        version = validated_data.pop("version", None)
        for attribute, value in validated_data.items():
            setattr(employee, attribute, value)
        try:
            return services.save_employee(
                employee, user=self.context["request"].user, badges=badges, skills=skills, version=version
            )
        except Employee.EditConflict as error:
            raise Conflict from error


CONFLICT = OpenApiResponse(
    description="Someone saved the employee after the `version` sent: nothing was saved."
)


@extend_schema_view(
    update=extend_schema(responses={200: EmployeeSerializer, 409: CONFLICT}),
    partial_update=extend_schema(responses={200: EmployeeSerializer, 409: CONFLICT}),
)
class EmployeeViewSet(viewsets.ModelViewSet):
    """Employees. The list takes the list page's parameters: `q`, `location`, `sort`, and the slugs `badge`,
    `department` and `skill`; and `manager`, an id, for that person's direct reports."""

    queryset = Employee.objects.for_detail()
    serializer_class = EmployeeSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EmployeeFilter

    def get_queryset(self):
        user = self.request.user
        return super().get_queryset().visible_to(user).with_private_fields(user)

    def filter_queryset(self, queryset):
        # The list's search and filters choose among many; one employee is found by id alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def perform_create(self, serializer):
        serializer.save()
        # Answer with the saved employee as the caller may see it.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    perform_update = perform_create

    def perform_destroy(self, instance):
        services.delete_employee(instance, user=self.request.user)


class BadgeViewSet(viewsets.ModelViewSet):
    """The badge catalogue, on one page. Employees refer to badges by slug."""

    queryset = Badge.objects.all()
    serializer_class = BadgeSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"  # Django's slug converter: any other address is 404, never a lookup
    pagination_class = None


IN_USE = OpenApiResponse(description="People or departments are part of it: nothing was deleted.")


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: IN_USE}))
class DepartmentViewSet(viewsets.ModelViewSet):
    """The departments, on one page, each with the slug of the one it is part of. Employees refer to
    departments by slug."""

    queryset = Department.objects.select_related("parent")
    serializer_class = DepartmentSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"
    pagination_class = None

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as error:
            raise InUse from error


class SkillViewSet(viewsets.ModelViewSet):
    """The skill catalogue, on one page. Employees refer to skills by name; deleting one takes it off
    everyone who has it."""

    queryset = Skill.objects.all()
    serializer_class = SkillSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"
    pagination_class = None


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: IN_USE}))
class LocationViewSet(viewsets.ModelViewSet):
    """The locations people work at, on one page, in order, each with its headcount (those who left are not
    counted). Employees refer to a location by name; renaming one moves its people to the new name."""

    queryset = Location.objects.with_headcount()
    serializer_class = LocationSerializer
    lookup_field = "name"
    lookup_value_regex = r"[^/]+"
    pagination_class = None

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as error:
            raise InUse("People work at this location: move them first; nothing was deleted.") from error


# No ".json" suffix URLs: the format comes from the Accept header (or ?format=), one URL per resource.
router = routers.DefaultRouter()
router.include_format_suffixes = False
router.register("employees", EmployeeViewSet)
router.register("badges", BadgeViewSet)
router.register("departments", DepartmentViewSet)
router.register("skills", SkillViewSet)
router.register("locations", LocationViewSet, basename="location")
