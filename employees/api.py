"""The REST API under /api/v1/: the list page's search, filters and sort order, and the UI's permissions."""

import copy
from collections.abc import Mapping

from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError, Value
from django.db.models.functions import Lower
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import exceptions, routers, serializers, status, viewsets
from rest_framework.fields import empty
from rest_framework.views import exception_handler as drf_exception_handler

from . import services
from .filters import EmployeeFilter
from .models import (
    CONTACT_FIELDS,
    TIME_ZONE_NAMES,
    Badge,
    Department,
    Employee,
    Location,
    Skill,
    validate_time_zone,
)


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


def exception_handler(exc, context):
    """DRF's answer, but 409 Conflict for a write refused only because a value must be unique (a slug, a name
    or a work email another has taken): the schema cannot tell a client that before it tries."""
    response = drf_exception_handler(exc, context)
    if isinstance(exc, exceptions.ValidationError) and response is not None and only_unique(exc.get_codes()):
        response.status_code = status.HTTP_409_CONFLICT
    return response


def only_unique(codes):
    if isinstance(codes, dict | list):
        values = list(codes.values()) if isinstance(codes, dict) else codes
        return bool(values) and all(only_unique(value) for value in values)
    return codes == "unique"


def text_error(field, value):
    """What is wrong with ``value`` as text for ``field`` (or a list of text), as the schema says it: not
    text, or longer than the field before it is trimmed; None if nothing is."""
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        return next(filter(None, (text_error(field.child, item) for item in value)), None)
    if not isinstance(field, serializers.CharField) or field.read_only or value is None:
        return None
    if not isinstance(value, str):
        return serializers.CharField.default_error_messages["invalid"]
    if field.max_length is not None and len(value) > field.max_length:
        return serializers.CharField.default_error_messages["max_length"].format(max_length=field.max_length)
    return None


# Text only as text, as the schema says: a number or a boolean sent for a text field is invalid rather than
# turned into a string, and a text longer than the field is, even if it would fit once trimmed.
class ModelSerializer(serializers.ModelSerializer):
    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name, field in self.fields.items():
                if error := text_error(field, data.get(name)):
                    errors[name] = [error]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "enum": ["", *sorted(TIME_ZONE_NAMES)]})
class TimeZoneField(serializers.CharField):
    """A zoneinfo name, or empty: the schema lists them."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=64, required=False, allow_blank=True, validators=[validate_time_zone], **kwargs
        )


class BadgeSerializer(ModelSerializer):
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
    """A catalogue entry by its slug; a value with a NUL, which PostgreSQL cannot compare, is no slug, and an
    empty one is not null (null is)."""

    def run_validation(self, data=empty):
        if data == "":
            self.fail("does_not_exist", slug_name=self.slug_field, value="")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class ManagerField(serializers.PrimaryKeyRelatedField):
    """An employee by id; an empty one is not null (null is)."""

    def run_validation(self, data=empty):
        if data == "":
            self.fail("does_not_exist", pk_value="")
        return super().run_validation(data)


class DepartmentSerializer(ModelSerializer):
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


class SkillSerializer(ModelSerializer):
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
            raise serializers.ValidationError("A skill with this name already exists.", code="unique")
        return name


class LocationSerializer(ModelSerializer):
    time_zone = TimeZoneField(help_text="Its zoneinfo name, for example Europe/Madrid; empty if unknown.")
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
            raise serializers.ValidationError("A location with this name already exists.", code="unique")
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


class EmployeeSerializer(ModelSerializer):
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
    time_zone = TimeZoneField(help_text="The zoneinfo name, for example Europe/Madrid; empty if unknown.")
    department_name = serializers.CharField(
        source="department.name", read_only=True, allow_null=True, help_text="The department's name."
    )
    photo_url = serializers.SerializerMethodField(
        help_text="The address of the photo's thumbnail (of the photo, for one saved before thumbnails); "
        "null without a photo. It needs a signed-in session, as the site's pages do."
    )
    manager = ManagerField(
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
        "If someone saved the employee since, nothing is saved and the answer is 409 Conflict. A new "
        "employee starts at 1, whatever is sent.",
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
            raise serializers.ValidationError("Another employee already has this work email.", code="unique")
        return email

    def validate_mobile(self, mobile):
        # Null reads as "hidden" but writes as "none": the column holds an empty string then.
        return mobile or ""

    def validate_skills(self, names):
        return Skill.objects.for_names(names)

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


class EmployeeChangeSerializer(EmployeeSerializer):
    """A change of an employee as the schema has it: with the version read, which EmployeeSerializer.validate
    asks for."""

    version = serializers.IntegerField(min_value=1, help_text="The version you read.")


CONFLICT = OpenApiResponse(
    description="Someone saved the employee after the `version` sent, or a value that must be unique "
    "(the work email) is another's: nothing was saved."
)
CHANGE = extend_schema(request=EmployeeChangeSerializer, responses={200: EmployeeSerializer, 409: CONFLICT})


@extend_schema_view(update=CHANGE, partial_update=CHANGE)
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

    def perform_create(self, serializer):
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)  # with its headcount

    perform_update = perform_create

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as error:
            raise InUse("People work at this location: move them first; nothing was deleted.") from error


# What every answer but a success holds: DRF's {"detail": ...}, or for invalid data the errors per field.
ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string", "description": "What went wrong."}},
        "required": ["detail"],
    },
    "Errors": {
        "type": "object",
        "description": "Per field (or `non_field_errors`), the messages saying what is wrong with it; or "
        "`detail`, for a body that is not JSON or a conflict with a newer version.",
        "additionalProperties": {},
    },
}
ERRORS = {
    "400": ("Errors", "The data or a parameter is invalid: nothing was changed."),
    "401": ("Error", "Not signed in: send `Authorization: Token <key>`."),
    "403": ("Error", "Signed in, but not allowed: writes are for editors."),
    "404": ("Error", "No such resource (or page)."),
    "406": ("Error", "The API answers in JSON only: the `Accept` header asks for something else."),
    "409": ("Errors", "In conflict with what is stored: a value another has, or a newer version."),
    "415": ("Error", "The API reads JSON only: send `Content-Type: application/json`."),
}
WRITES = {"post", "put", "patch", "delete"}
# Text the serializers take: no NUL (PostgreSQL cannot store it); if required, not only spaces (they trim).
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every error each operation can answer, in the schema. A change
    of an employee needs the version read, whether it is sent whole (PUT) or in part (PATCH); text that may
    not be blank may not be only spaces either (the serializers trim it)."""
    schemas = result["components"]["schemas"]
    schemas.update(ERROR_SCHEMAS)
    schemas["PatchedEmployeeChangeRequest"]["required"] = ["version"]
    for parameter in result["paths"]["/api/v1/employees/"]["get"]["parameters"]:
        if parameter["in"] == "query":
            parameter["allowEmptyValue"] = True  # an empty filter filters nothing, as on the list page
    for name, schema in schemas.items():
        for field in schema.get("properties", {}).values() if name.endswith("Request") else []:
            if field.get("type") == "string" and "pattern" not in field and "format" not in field:
                field["pattern"] = NOT_BLANK if field.get("minLength") == 1 else NO_NUL
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            codes = {"401", "403", "406"}
            if method in WRITES:
                codes |= {"400", "409", "415"} if method != "delete" else {"409"}
            if "{" in path or any(
                parameter["name"] == "page" for parameter in operation.get("parameters", [])
            ):
                codes.add("404")
            if method == "get" and any(p["in"] == "query" for p in operation.get("parameters", [])):
                codes.add("400")
            for code in sorted(codes):
                schema, description = ERRORS[code]
                response = operation["responses"].setdefault(code, {"description": description})
                response.setdefault(
                    "content", {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
                )
    return result


# No ".json" suffix URLs: the format comes from the Accept header (or ?format=), one URL per resource.
router = routers.DefaultRouter()
router.include_format_suffixes = False
router.register("employees", EmployeeViewSet)
router.register("badges", BadgeViewSet)
router.register("departments", DepartmentViewSet)
router.register("skills", SkillViewSet)
router.register("locations", LocationViewSet, basename="location")
