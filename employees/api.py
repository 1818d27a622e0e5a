"""The REST API under /api/v1/: the list page's search, filters and sort order, and the UI's permissions."""

from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import routers, serializers, viewsets
from rest_framework.schemas.inspectors import DefaultSchema

from .filters import EmployeeFilter
from .models import CONTACT_FIELDS, Badge, Department, Employee, Skill, normalize_email


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


class EmployeeSerializer(serializers.ModelSerializer):
    badges = serializers.SlugRelatedField(
        many=True,
        required=False,
        slug_field="slug",
        queryset=Badge.objects.all(),
        help_text="Badge slugs, for example coffee-snob.",
    )
    badge_names = serializers.SerializerMethodField(help_text="The badges' names, in the order of `badges`.")
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
    department = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        help_text="The department's slug, for example engineering; null for none.",
    )
    department_name = serializers.SerializerMethodField(help_text="The department's name.")
    manager = serializers.PrimaryKeyRelatedField(
        queryset=Employee.objects.all(),
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

    class Meta:
        model = Employee
        fields = [
            "id",
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
            "created_at",
            "updated_at",
        ]

    def get_badge_names(self, employee) -> list[str]:
        return [badge.name for badge in employee.badges.all()]

    def validate_work_email(self, email):
        email = normalize_email(email)
        others = Employee.objects.exclude(pk=getattr(self.instance, "pk", None))
        if email and others.with_work_email(email).exists():
            raise serializers.ValidationError("Another employee already has this work email.")
        return email

    def validate_mobile(self, mobile):
        # Null reads as "hidden" but writes as "none": the column holds an empty string then.
        return mobile or ""

    def get_department_name(self, employee) -> str | None:
        return employee.department.name if employee.department else None

    def validate_skills(self, names):
        unique = {}
        for name in names:
            name = " ".join(name.split())
            unique.setdefault(name.lower(), name)
        return Skill.objects.for_names(list(unique.values()))

    def validate(self, attrs):
        manager = attrs.get("manager")
        if self.instance is not None and manager is not None:
            try:
                self.instance.check_manager(manager.pk)
            except ValidationError as error:
                raise serializers.ValidationError(error.message_dict) from error
        return attrs

    def create(self, validated_data):
        if "skills" in validated_data:
            validated_data["skills"] = Skill.objects.save_new(validated_data["skills"])
        return super().create(validated_data)

    def update(self, instance, validated_data):
        if "skills" in validated_data:
            validated_data["skills"] = Skill.objects.save_new(validated_data["skills"])
        return super().update(instance, validated_data)


class SchemaOfInstances(DefaultSchema):
    """DRF's DEFAULT_SCHEMA_CLASS (drf-spectacular's), looked up when a view instance asks for it, as the
    schema generator does, and not when the router lists a view class's attributes at start-up: the schema
    classes import django.test and more, about 8 MB per worker that only /api/schema/ needs."""

    def __get__(self, instance, owner):
        return self if instance is None else super().__get__(instance, owner)


class EmployeeViewSet(viewsets.ModelViewSet):
    """Employees. The list takes the list page's parameters: `q`, `location`, `sort`, and the slugs `badge`,
    `department` and `skill`."""

    queryset = Employee.objects.with_badges().select_related("department").prefetch_related("skills")
    serializer_class = EmployeeSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EmployeeFilter
    schema = SchemaOfInstances()

    def get_queryset(self):
        return super().get_queryset().with_private_fields(self.request.user)

    def perform_create(self, serializer):
        serializer.save()
        self.read_back(serializer)

    def perform_update(self, serializer):
        serializer.save()
        self.read_back(serializer)

    def read_back(self, serializer):
        """Answer with the saved employee as the caller may see it."""
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class BadgeViewSet(viewsets.ModelViewSet):
    """The badge catalogue, on one page. Employees refer to badges by slug."""

    queryset = Badge.objects.all()
    serializer_class = BadgeSerializer
    lookup_field = "slug"
    pagination_class = None
    schema = SchemaOfInstances()


# No ".json" suffix URLs: the format comes from the Accept header (or ?format=), one URL per resource.
router = routers.DefaultRouter()
router.include_format_suffixes = False
router.register("employees", EmployeeViewSet)
router.register("badges", BadgeViewSet)
